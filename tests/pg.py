"""A real PostgreSQL for the tests: TRENDBOT_TEST_DATABASE_URL if set, else a throwaway cluster
started from Debian's postgresql-15 server binaries (as the `postgres` user through runuser when
we are root: the server refuses to run as root), on 127.0.0.1 and a free port, with fsync off.

Each test gets a database of its own (CREATE DATABASE … / DROP … WITH (FORCE)). Without a server
the PostgreSQL tests skip with one line saying why, unless TRENDBOT_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("TRENDBOT_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class PgServer:
    """A PostgreSQL server the tests may create databases on."""

    base_url: str  # postgresql://user[:password]@host:port
    admin_db: str = "postgres"
    datadir: Path | None = None  # set when we started it (and so must stop it)
    owner: str | None = None

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    async def create_database(self) -> str:
        import asyncpg

        name = f"t_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.url(self.admin_db))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url(self.admin_db))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self.datadir is None:
            return
        _run(self.owner, [str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                          "stop"], check=False)  # fmt: skip
        shutil.rmtree(self.datadir.parent, ignore_errors=True)
        self.datadir = None


def find_or_start() -> tuple[PgServer | None, str]:
    """A server to test against, or None and why not."""
    url = os.environ.get("TRENDBOT_TEST_DATABASE_URL", "").strip()
    if url:
        base, _, database = url.rstrip("/").rpartition("/")
        return PgServer(base, database or "postgres"), ""
    if not (PG_BIN / "initdb").exists():
        return None, f"no PostgreSQL: set TRENDBOT_TEST_DATABASE_URL or install {PG_BIN}/initdb"
    owner = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return None, "no PostgreSQL: running as root and runuser is missing"
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="trendbot-pg-"))
    datadir = root / "data"
    if owner is not None:
        shutil.chown(root, user=owner)
    port = _free_port()
    try:
        _run(owner, [str(PG_BIN / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres",
                     "--no-sync", "-E", "UTF8", "--no-instructions"])  # fmt: skip
        options = (
            f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(owner, [str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-o", options, "-w", "-t", "60",
                     "-l", str(root / "server.log"), "start"])  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        log = root / "server.log"
        tail = log.read_text(errors="replace")[-300:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        return None, f"no PostgreSQL: could not start {PG_BIN}: {exc} {tail}".strip()
    return PgServer(f"postgresql://postgres@127.0.0.1:{port}", datadir=datadir, owner=owner), ""


def _run(owner: str | None, argv: list[str], *, check: bool = True) -> None:
    if owner is not None:
        argv = ["runuser", "-u", owner, "--", *argv]
    subprocess.run(argv, check=check, capture_output=True, timeout=120, cwd="/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
