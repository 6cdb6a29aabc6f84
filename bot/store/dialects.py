"""Everything that differs between SQLite and PostgreSQL: DDL fragments, connection set-up, upserts
that only one engine spells, the outbox claim, schema versions, locks and wake-ups.

Every other module of bot.store writes portable SQL (SQLAlchemy `text()` with :named parameters)
and asks the `Dialect` here for the rest, so this is the one file to read when porting.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "trendbot_outbox"


@dataclass(frozen=True, slots=True)
class Dialect:
    """The statements and DDL fragments one engine needs; see SQLITE and POSTGRES below."""

    name: str
    identity: str  # an id column the database numbers itself
    real: str
    without_rowid: str  # a table suffix for tables keyed by their primary key only
    skip_locked: str  # appended to the claim's inner SELECT
    # bulk insert of chart rows in the driver's own parameter style (the ingest's hot path)
    insert_entries: str
    serial_writes: bool  # one writer at a time (SQLite's model); the store queues writes itself

    def ddl(self, statement: str) -> str:
        return statement.format(
            identity=self.identity, real=self.real, without_rowid=self.without_rowid
        )

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    # ---- schema version -------------------------------------------------------------------------

    async def schema_version(self, conn: AsyncConnection) -> int:
        if self.is_sqlite:
            # existing files (schema v1–v4) keep their version where they always kept it
            return int((await conn.exec_driver_sql("PRAGMA user_version")).scalar_one())
        found = await conn.execute(
            text("SELECT to_regclass('trendbot_schema') IS NOT NULL")  # noqa: S608
        )
        if not found.scalar_one():
            return 0
        value = (await conn.execute(text("SELECT MAX(version) FROM trendbot_schema"))).scalar()
        return int(value or 0)

    async def set_schema_version(self, conn: AsyncConnection, version: int) -> None:
        if self.is_sqlite:
            await conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
            return
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS trendbot_schema (version INTEGER PRIMARY KEY)")
        )
        await conn.execute(
            text("INSERT INTO trendbot_schema (version) VALUES (:v)"), {"v": int(version)}
        )

    async def lock_migrations(self, conn: AsyncConnection) -> None:
        """Two processes starting at once: one migrates, the other waits and finds it done
        (SQLite's BEGIN IMMEDIATE already serialises them)."""
        if not self.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("schema")})

    def backfill_region_positions(self) -> str:
        """v5 orders a server's regions by a position column; SQLite files had the rowid."""
        if self.is_sqlite:
            return "UPDATE server_regions SET position = rowid"
        return "UPDATE server_regions SET position = 0"

    # ---- connections ----------------------------------------------------------------------------

    def prepare(self, engine: AsyncEngine, *, read_only: bool) -> None:
        """Per-connection settings, and how transactions begin."""
        if not self.is_sqlite:
            return

        @event.listens_for(engine.sync_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # the driver's own transaction handling would BEGIN lazily, and DEFERRED; we say when
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 5000")
            cursor.execute("PRAGMA foreign_keys = ON")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
            else:
                # both need the file to themselves ("database is locked" while another
                # connection writes, busy_timeout or not), so only a file not yet in WAL gets
                # them: a new one (auto_vacuum takes effect in a new, empty file; older files
                # are converted by reclaim_space()) or one an older trendbot made
                cursor.execute("PRAGMA journal_mode")
                if str(cursor.fetchone()[0]).lower() != "wal":
                    cursor.execute("PRAGMA auto_vacuum = INCREMENTAL")
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # a writer takes the write lock up front: upgrading a read lock later can deadlock
            writing = conn.get_execution_options().get("trendbot_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    def sqlite_url(self, path: Path, *, read_only: bool) -> str:
        if read_only:
            # mode=ro: never create, never write (not even the WAL switch)
            return f"sqlite+aiosqlite:///file:{_uri_path(path)}?mode=ro&uri=true"
        return f"sqlite+aiosqlite:///{path}"

    # ---- dialect-only statements ----------------------------------------------------------------

    async def reclaim_space(self, path: Path | None) -> int:
        """Give the pages deletions freed back to the filesystem (SQLite); returns how many.

        Incremental in files made with auto_vacuum=INCREMENTAL (cheap, any time); an older file
        is converted by one full VACUUM the first time it has pages to give back. PostgreSQL's
        autovacuum does this itself.
        """
        if not self.is_sqlite or path is None:
            return 0
        return await asyncio.to_thread(_reclaim_sqlite, path)

    async def reserve_chart_ids(self, conn: AsyncConnection, count: int) -> list[int]:
        """Ids for `count` new charts, taken before their rows are written (one round trip)."""
        if self.is_sqlite:
            # the transaction holds SQLite's only write lock (BEGIN IMMEDIATE), so nobody else
            # can take these ids; rowid would pick the same ones
            top = (await conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM charts")).scalar()
            return list(range(int(top or 0) + 1, int(top or 0) + 1 + count))
        result = await conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('charts', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return [int(r[0]) for r in result]

    def bulk_insert(self, table: str, columns: Sequence[str]) -> str:
        """An INSERT in the driver's own parameter style, for exec_driver_sql over many rows
        (several times faster than named parameters on a hot path)."""
        marks = ", ".join(
            "?" if self.is_sqlite else f"${n}" for n in range(1, len(columns) + 1)
        )  # fmt: skip
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def insert_ignore(self, table: str, columns: str, values: str) -> str:
        """An insert that leaves an existing row (same unique key) alone."""
        return f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"

    async def insert_ignore_many(
        self,
        conn: AsyncConnection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> int:
        """Insert rows (tuples in `columns` order, text values), skipping those whose unique
        key is taken; returns how many went in. In the driver's own parameter style: SQLite
        binds each row through executemany, PostgreSQL gets one set-based statement per
        10,000 rows (a text array per column, unnested)."""
        if not rows:
            return 0
        if self.is_sqlite:
            statement = self.bulk_insert(table, columns) + " ON CONFLICT DO NOTHING"
            result = await conn.exec_driver_sql(statement, list(rows))
            return max(0, result.rowcount)
        arrays = ", ".join(f"${n}::text[]" for n in range(1, len(columns) + 1))
        statement = (
            f"WITH added AS (INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING 1) "
            "SELECT COUNT(*) FROM added"
        )
        added = 0
        for start in range(0, len(rows), 10_000):
            chunk = rows[start : start + 10_000]
            result = await conn.exec_driver_sql(
                statement, tuple(list(c) for c in zip(*chunk, strict=True))
            )
            added += int(result.scalar_one())
        return added

    def claim_outbox(self) -> str:
        """Lease the due alerts of the platforms running here, a few per channel at a time,
        channels in the order of their oldest due alert (no channel or platform starves the
        others). A channel's alerts come together, so they can go out as one message. The
        channels are chosen first (from the index alone), then only their rows are ranked."""
        lock = self.skip_locked
        due = (
            "{o}state = 'pending' AND {o}next_attempt_at <= :now "
            "AND ({o}lease_until IS NULL OR {o}lease_until < :now)"
        )
        return (
            "UPDATE outbox SET lease_token = :token, lease_until = :until "
            "WHERE id IN (SELECT id FROM outbox WHERE id IN ("
            "  WITH channels AS ("
            "    SELECT platform, channel_id, MIN(id) AS oldest FROM outbox"
            f"    WHERE {due.format(o='')} AND platform IN :platforms"
            "    GROUP BY platform, channel_id ORDER BY oldest LIMIT :limit"
            "  ), ranked AS ("
            "    SELECT o.id AS id, c.oldest AS oldest,"
            "    ROW_NUMBER() OVER (PARTITION BY o.platform, o.channel_id ORDER BY o.id) AS n"
            "    FROM channels c JOIN outbox o"
            "    ON o.platform = c.platform AND o.channel_id = c.channel_id"
            f"    AND {due.format(o='o.')}"
            "  ) SELECT id FROM ranked WHERE n <= :per_channel ORDER BY oldest, n LIMIT :limit"
            f") AND (lease_until IS NULL OR lease_until < :now) {lock}) "
            "RETURNING id, platform, server_id, channel_id, service, region, category, language, "
            "week, title, kind, card, attempts, claimed_at"
        )

    # ---- coordination ---------------------------------------------------------------------------

    async def notify_outbox(self, conn: AsyncConnection) -> None:
        """Wake delivery workers elsewhere (delivered at COMMIT; SQLite has one process)."""
        if not self.is_sqlite:
            await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})


SQLITE = Dialect(
    name="sqlite",
    identity="INTEGER PRIMARY KEY",
    real="REAL",
    without_rowid="WITHOUT ROWID",
    skip_locked="",
    insert_entries=(
        "INSERT INTO chart_entries (chart_id, rank, title, season, weeks_in_top10, "
        "hours_viewed, views, runtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    serial_writes=True,
)

POSTGRES = Dialect(
    name="postgresql",
    identity="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    real="DOUBLE PRECISION",
    without_rowid="",
    skip_locked="FOR UPDATE SKIP LOCKED",
    insert_entries=(
        "INSERT INTO chart_entries (chart_id, rank, title, season, weeks_in_top10, "
        "hours_viewed, views, runtime) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ),
    serial_writes=False,
)


def _reclaim_sqlite(path: Path) -> int:
    # its own connection in autocommit: VACUUM cannot run inside a transaction
    db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    try:
        free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
        if not free:
            return 0
        if db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:  # 2 = incremental
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            db.execute("VACUUM")
        else:
            db.executescript("PRAGMA incremental_vacuum;")  # each step frees a page: run to the end
        return free
    finally:
        db.close()


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.resolve()))


# ---- locks: one holder cluster-wide -------------------------------------------------------------


class Locks:
    """Named locks with one holder at a time: PostgreSQL advisory locks on a session of their
    own (released when the holder's connection ends, kill -9 included), or on SQLite, OS file
    locks beside the database file (released when the holding process ends)."""

    def __init__(self, dialect: Dialect, engine: AsyncEngine, db_path: Path | None) -> None:
        self._dialect = dialect
        self._engine = engine
        self._db_path = db_path
        self._held: dict[str, Callable[[], Any]] = {}

    async def try_acquire(self, name: str) -> bool:
        """Take `name` if nobody holds it (this process included); False if someone does."""
        if name in self._held:
            return False
        if self._dialect.is_sqlite:
            return self._try_file_lock(name)
        conn = await self._engine.connect()
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)})
            ).scalar_one()
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False

        async def release() -> None:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                await conn.commit()
            finally:
                await conn.close()

        self._held[name] = release
        return True

    async def release(self, name: str) -> None:
        release = self._held.pop(name, None)
        if release is not None:
            result = release()
            if asyncio.iscoroutine(result):
                await result

    async def release_all(self) -> None:
        for name in list(self._held):
            with contextlib.suppress(Exception):
                await self.release(name)

    def holds(self, name: str) -> bool:
        return name in self._held

    @contextlib.asynccontextmanager
    async def holding(self, name: str) -> AsyncIterator[bool]:
        """`async with locks.holding("refresh") as mine:` — run the body's work only if mine."""
        mine = await self.try_acquire(name)
        try:
            yield mine
        finally:
            if mine:
                await self.release(name)

    def _try_file_lock(self, name: str) -> bool:
        assert self._db_path is not None
        path = self._db_path.with_name(f"{self._db_path.name}.{_safe(name)}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False

        def release() -> None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        self._held[name] = release
        return True


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock name."""
    digest = hashlib.sha1(f"trendbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)


# ---- wake-ups -----------------------------------------------------------------------------------


async def listen_outbox(url: str, wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    """Call `wake()` whenever another process queues alerts (PostgreSQL LISTEN on a connection
    of its own); returns an async closer."""
    import asyncpg
    from sqlalchemy import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    await conn.add_listener(OUTBOX_CHANNEL, lambda *_args: wake())

    async def close() -> None:
        await conn.close()

    return close
