"""Where the database is and how we talk to it: the configured target (a SQLite path or URL, or a
PostgreSQL URL), checks that explain a bad target in one line without touching it, the engine,
read and write transactions, and the migrations run on open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import bindparam, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import TextClause

from bot.errors import StoreError
from bot.store.dialects import POSTGRES, SQLITE, Dialect, listen_outbox
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")

log = logging.getLogger(__name__)

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    """A database as configured: `url` for SQLAlchemy, `shown` for messages (no password)."""

    url: str
    shown: str
    path: Path | None = None  # the SQLite file

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None


def parse_target(value: str | Path) -> Target:
    """`sqlite:///path`, a bare path, or `postgresql://user@host/db`; raises StoreError."""
    text_value = str(value) if isinstance(value, Path) else value
    if "\x00" in text_value:
        raise StoreError("database path contains a NUL byte; set database to a plain file path")
    if not text_value.strip():
        raise StoreError(
            'database is empty; set database = "sqlite:///trendbot.db" (a file) or a '
            "postgresql:// URL in the config, or TRENDBOT_DB"
        )
    scheme, sep, rest = text_value.partition("://")
    if not sep or isinstance(value, Path):
        return Target(text_value, text_value, Path(text_value))
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        path = rest[1:] if rest.startswith("/") else rest  # sqlite:///rel, sqlite:////abs
        if not path:
            raise StoreError('database "sqlite:///" names no file; write sqlite:///trendbot.db')
        return Target(path, path, Path(path))
    if scheme in _PG_SCHEMES:
        try:
            url = make_url(text_value).set(drivername="postgresql+asyncpg")
        except (ArgumentError, ValueError):
            raise StoreError(f"database URL {_hide(text_value)} is not a valid URL") from None
        return Target(url.render_as_string(hide_password=False), _shown(url))
    raise StoreError(
        f"database URL scheme {scheme!r} is not supported; use sqlite:///path or postgresql://…"
    )


def _shown(url: Any) -> str:
    return str(url.set(drivername="postgresql").render_as_string(hide_password=True))


def _hide(value: str) -> str:
    scheme, _, rest = value.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at:
        return value
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def check_sqlite(path: Path, *, read_only: bool) -> None:
    """Explain, without creating or changing anything, why a SQLite file cannot be used."""
    shown = str(path)
    if path.is_dir():
        raise StoreError(f"database {shown} is a directory; set database to a file inside it")
    parent = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        if read_only:
            raise StoreError(
                f"database {shown} does not exist; run `trendbot ingest` (or `trendbot run`) "
                "to create it, or set database to an existing file"
            )
        if not parent.is_dir():
            raise StoreError(
                f"database {shown}: directory {parent} does not exist; create it or set "
                "database to a path in an existing directory"
            )
        if not _may(parent, os.W_OK):
            raise StoreError(
                f"database {shown}: directory {parent} is not writable; fix its permissions or "
                "set database to a writable location"
            )
        return
    if not _may(path, os.R_OK):
        raise StoreError(f"database {shown} is not readable; fix its permissions (chmod u+r)")
    with path.open("rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"database {shown} is not a SQLite database (it was left untouched); set database "
            "to another file"
        )
    version = _sqlite_version(path)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database {shown} has schema v{version}, newer than this trendbot "
            f"(v{SCHEMA_VERSION}); upgrade trendbot, or point database at another file "
            "(it was left untouched)"
        )
    if read_only:
        return
    if not _may(path, os.W_OK):
        raise StoreError(
            f"database {shown} is read-only; make it writable (chmod u+w), or use only the "
            "reading commands (trending, ask, plot)"
        )
    if not _may(parent, os.W_OK):
        raise StoreError(
            f"database {shown}: its directory {parent} is read-only (SQLite writes its journal "
            "beside the file); make the directory writable, or use only the reading commands"
        )


def _sqlite_version(path: Path) -> int:
    """The file's schema version, read without changing anything (before the engine's first
    connection switches the file to WAL)."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        ) as probe:
            return int(probe.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"database {path} is not a usable SQLite database ({exc}); it was left untouched; "
            "set database to another file"
        ) from None


def _may(path: Path, mode: int) -> bool:
    """os.access, except that root also respects a file's mode bits: an operator who removed
    every write bit meant "do not write this", whoever runs trendbot."""
    if not os.access(path, mode):
        return False
    if os.geteuid() != 0:
        return True
    bits = path.stat().st_mode
    wanted = {os.R_OK: 0o444, os.W_OK: 0o222}[mode]
    if stat.S_ISDIR(bits) and mode == os.W_OK:
        return bool(bits & 0o222)
    return bool(bits & wanted)


IN_BATCH = 500  # values per `IN :list` (bound parameters per statement stay far from limits)


def in_batches(values: Sequence[T]) -> Iterator[list[T]]:
    """`values` in lists of IN_BATCH, one statement's `IN :list` each."""
    for start in range(0, len(values), IN_BATCH):
        yield list(values[start : start + IN_BATCH])


@lru_cache(maxsize=512)
def sql(statement: str, expanding: tuple[str, ...] = ()) -> TextClause:
    """A cached `text()` (parsing the :names each time would cost on hot paths)."""
    clause = text(statement)
    if expanding:
        clause = clause.bindparams(*(bindparam(name, expanding=True) for name in expanding))
    return clause


Params = Mapping[str, Any]


class Database:
    """The engine plus the dialect; reads run on pooled connections, writes in transactions
    (queued in this process on SQLite, which has one writer at a time)."""

    def __init__(
        self, engine: AsyncEngine, dialect: Dialect, target: Target, *, read_only: bool
    ) -> None:
        self.engine = engine
        self.dialect = dialect
        self.target = target
        self.read_only = read_only
        self._write_lock = asyncio.Lock()
        self._wakers: list[Callable[[], None]] = []

    def outbox_changed(self) -> None:
        """Alerts were queued in this process: wake its own delivery at once."""
        for wake in list(self._wakers):
            wake()

    async def watch_outbox(self, wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        """Call `wake()` whenever alerts are queued, here or (PostgreSQL) in another process;
        returns an async function that stops watching."""
        self._wakers.append(wake)
        stop_listening: Callable[[], Awaitable[None]] | None = None
        if not self.dialect.is_sqlite:
            stop_listening = await listen_outbox(self.target.url, wake)

        async def stop() -> None:
            if wake in self._wakers:
                self._wakers.remove(wake)
            if stop_listening is not None:
                await stop_listening()

        return stop

    @classmethod
    async def open(cls, target: Target, *, read_only: bool = False) -> Database:
        if target.path is not None:
            check_sqlite(target.path, read_only=read_only)
            dialect = SQLITE
            url = SQLITE.sqlite_url(target.path, read_only=read_only)
            engine = create_async_engine(url)
        else:
            dialect = POSTGRES
            engine = create_async_engine(
                target.url,
                connect_args={"timeout": _CONNECT_TIMEOUT},
                pool_pre_ping=True,
            )
        dialect.prepare(engine, read_only=read_only)
        db = cls(engine, dialect, target, read_only=read_only)
        try:
            await db._migrate()
        except StoreError:
            await engine.dispose()
            raise
        except (TimeoutError, SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise StoreError(_explain(target, exc)) from None
        except BaseException:
            await engine.dispose()
            raise
        return db

    async def close(self) -> None:
        await self.engine.dispose()

    # ---- transactions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """One connection for a few reads that should see the same moment."""
        async with self.engine.connect() as conn:
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction; rolled back whole if the block raises."""
        if self.read_only:
            raise StoreError(f"database {self.target.shown} was opened read-only")
        if self.dialect.serial_writes:
            async with self._write_lock:
                async with self._begin_write() as conn:
                    yield conn
        else:
            async with self._begin_write() as conn:
                yield conn

    @asynccontextmanager
    async def _begin_write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(trendbot_write=True)
            async with conn.begin():
                yield conn

    # ---- one-statement helpers ------------------------------------------------------------------

    async def all(
        self, statement: str, params: Params | None = None, expanding: tuple[str, ...] = ()
    ) -> Sequence[Any]:
        async with self.reading() as conn:
            result = await conn.execute(sql(statement, expanding), dict(params or {}))
            return result.all()

    async def scalar(self, statement: str, params: Params | None = None) -> Any:
        rows = await self.all(statement, params)
        return rows[0][0] if rows else None

    async def run(self, statement: str, params: Params | Iterable[Params] | None = None) -> int:
        """One write statement (or one statement over many parameter sets) in its own
        transaction; returns the rows it changed."""
        async with self.writing() as conn:
            return await execute(conn, statement, params)

    async def healthy(self) -> bool:
        try:
            return bool(await self.scalar("SELECT 1") == 1)
        except Exception:  # the health check reports, it never raises
            return False

    # ---- migrations -----------------------------------------------------------------------------

    async def _migrate(self) -> None:
        async with self.reading() as conn:
            version = await self.dialect.schema_version(conn)
        self._check_version(version)
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise StoreError(
                f"database {self.target.shown} has schema v{version}, older than this trendbot "
                f"(v{SCHEMA_VERSION}); run a writing command once (trendbot ingest or run) to "
                "upgrade it"
            )
        async with self.writing() as conn:
            await self.dialect.lock_migrations(conn)
            version = await self.dialect.schema_version(conn)  # another process may have won
            self._check_version(version)
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1]:
                    if statement == "{backfill_region_positions}":
                        statement = self.dialect.backfill_region_positions()
                    await conn.exec_driver_sql(self.dialect.ddl(statement))
                await self.dialect.set_schema_version(conn, number)
                log.info("database migrated to schema v%d", number)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.target.shown} has schema v{version}, newer than this trendbot "
                f"(v{SCHEMA_VERSION}); upgrade trendbot, or point database at another file "
                "(it was left untouched)"
            )


async def execute(
    conn: AsyncConnection,
    statement: str,
    params: Params | Iterable[Params] | None = None,
    expanding: tuple[str, ...] = (),
) -> int:
    """Run one statement (once, or once per parameter set) on a connection; rows changed."""
    if params is None or isinstance(params, Mapping):
        result = await conn.execute(sql(statement, expanding), dict(params or {}))
        return max(0, result.rowcount)
    many = [dict(p) for p in params]
    if not many:
        return 0
    result = await conn.execute(sql(statement, expanding), many)
    return max(0, result.rowcount)


def _explain(target: Target, exc: BaseException) -> str:
    reason = _first_line(exc)
    if target.path is not None:
        if "not a database" in reason or "malformed" in reason:
            return (
                f"database {target.shown} is not a usable SQLite database ({reason}); it was "
                "left untouched; set database to another file"
            )
        if "readonly" in reason or "read-only" in reason:
            return (
                f"database {target.shown} is on a read-only location; make it writable, or use "
                "only the reading commands (trending, ask, plot)"
            )
        return f"database {target.shown} cannot be opened: {reason}"
    return (
        f"cannot connect to PostgreSQL at {target.shown}: {reason}; check that the server is "
        "running and that the URL's host, port, user and database are right"
    )


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    words = str(original).strip().splitlines()
    text_ = words[0] if words else type(original).__name__
    # driver messages can echo the connection string; keep only what precedes it
    return text_.split("(Background on this error")[0].strip()[:200] or type(original).__name__
