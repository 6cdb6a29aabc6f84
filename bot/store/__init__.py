"""The store: every SQL statement of trendbot, on SQLite (embedded default) or PostgreSQL.

`await Store.open("trendbot.db" | "sqlite:///…" | "postgresql://…")` checks the target, applies
missing migrations (bot/store/schema.py) and returns one Store to share. Each concern has its own
module (charts, ingest, titles, servers, outbox, sources, installs); dialect differences live in
bot/store/dialects.py only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.store.analyses import Analyses
from bot.store.catalog import Catalog
from bot.store.charts import ChartReads, Totals
from bot.store.database import Database, Target, parse_target
from bot.store.dialects import Locks
from bot.store.ingest import ChartSaver, ChartWrites, SaveReport
from bot.store.installs import Installs
from bot.store.outbox import ClaimQueue, Outbox
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.servers import Servers, Subscriber
from bot.store.sources import Sources
from bot.store.titles import Titles

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "ChartSaver", "SaveReport", "Store", "Subscriber", "Target",
    "Totals", "parse_target",
]  # fmt: skip


class Store(ChartReads, ChartWrites, Analyses, Titles, Catalog, Servers, Outbox, Sources, Installs):
    """All persistence. Create one with `await Store.open(target)` and share it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.locks = Locks(db.dialect, db.engine, db.target.path)
        self._claim_queue = ClaimQueue(self.claim_many)

    @classmethod
    async def open(cls, target: Path | str | Target, *, read_only: bool = False) -> Store:
        """Open (creating and migrating unless `read_only`) a SQLite path or URL or a
        PostgreSQL URL; raises StoreError with one line naming the target and the fix."""
        parsed = target if isinstance(target, Target) else parse_target(target)
        return cls(await Database.open(parsed, read_only=read_only))

    async def close(self) -> None:
        await self.locks.release_all()
        await self._db.close()

    @property
    def engine(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._db.dialect.name

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    @property
    def target(self) -> Target:
        return self._db.target

    async def reclaim_space(self) -> int:
        """Give the space pruning freed back to the filesystem (see Dialect.reclaim_space)."""
        if self._db.read_only:
            return 0
        return await self._db.dialect.reclaim_space(self._db.target.path)

    async def healthy(self) -> bool:
        return await self._db.healthy()

    async def watch_outbox(self, wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        """Call `wake()` when alerts are queued (here, or by another process on PostgreSQL)."""
        return await self._db.watch_outbox(wake)

    def holding(self, name: str) -> AbstractAsyncContextManager[bool]:
        """`async with store.holding("job:refresh") as mine:` — one holder cluster-wide."""
        return self.locks.holding(name)
