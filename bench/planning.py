"""Planning benchmark: a new week's alerts for 100,000 subscribed channels, on SQLite and on
PostgreSQL (issue 13: planning <= 2x a bare set-based insert of the same rows).

Set up once (untimed): the countries history ingested and its newest week (2022-11-13) analysed
(the analysis does not depend on how many channels listen); then 100,000 servers, half Discord and
half Slack, each with an alert channel following three regions (spread over all 93), both
categories, threshold 50, subscribed before that week (written in bulk with the bare driver: the
set-up is not what is measured).

Timed (ours): `Notifier.queue_week(analysis)`, what a refresh does for a new week: the subscribers
query, `plan_alerts` (one alert per channel and event, cards shared) and `Store.enqueue` into the
empty outbox (unique key, ON CONFLICT DO NOTHING). Floor: the rows ours wrote, read back as text
tuples, written again into the empty outbox by the bare driver in one transaction: sqlite3
`executemany`, or one asyncpg `INSERT … SELECT FROM unnest(…)`. Best of 3 each, alternating.
PostgreSQL: a throwaway cluster as the tests start it, or TRENDBOT_BENCH_DATABASE_URL's server;
without either the PostgreSQL line says skipped and why.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.common import COUNTRIES, Result, postgres_database
from bench.refresh import subscriptions
from bot.__main__ import build_core
from bot.config import Config
from bot.jobs import alert_new_weeks
from bot.judge.week import Judged
from bot.models import ChartKey
from bot.notify import Notifier
from bot.planning import plan_alerts
from bot.sources.catalog import load_catalog
from bot.sources.netflix import Fetched
from bot.store import Store

GOAL = 2.0
CHANNELS = 100_000
NEWEST = date(2022, 11, 13)
BASELINE = "2022-11-06"  # subscribed the week before: this week alerts
NOW = datetime(2022, 11, 15, 12, tzinfo=UTC)
RUNS = 3
COLUMNS = (
    "platform", "server_id", "channel_id", "service", "region", "category", "language", "week",
    "title", "kind", "card", "next_attempt_at", "created_at",
)  # fmt: skip
Analysis = dict[ChartKey, tuple[Judged, ...]]


def subscription_rows(count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(servers rows, server_regions rows) for `count` subscribed servers."""
    stamp = NOW.isoformat()
    servers, regions = [], []
    for settings, followed in subscriptions(count):
        servers.append((settings.platform, settings.server_id, settings.channel_id,
                        settings.threshold, ",".join(settings.categories), 0, stamp))  # fmt: skip
        regions += [
            (settings.platform, settings.server_id, region, BASELINE, stamp, n + 1)
            for n, region in enumerate(followed)
        ]
    return servers, regions


SERVERS_SQL = (
    "INSERT INTO servers (platform, server_id, channel_id, threshold, categories, digest, "
    "updated_at) VALUES ({})"
)
REGIONS_SQL = (
    "INSERT INTO server_regions (platform, server_id, region, baseline_week, added_at, "
    "position) VALUES ({})"
)


async def analyse(db: Path) -> Analysis:
    """The history in a SQLite file, its newest week's analysis (nobody subscribed yet)."""
    store = await Store.open(db)
    try:
        core = build_core(store, Config(), catalog=load_catalog(), clock=lambda: NOW, reviews=[])
        await core.ingest(Fetched(f"file:{COUNTRIES.name}", COUNTRIES.read_bytes()))
        await alert_new_weeks(core, Notifier(store, {}, lambda: NOW))  # marks the lists planned
        return await core.analyst.week(NEWEST)
    finally:
        await store.close()


@dataclass
class Engine:
    """One database: how to subscribe in bulk, empty the outbox, read it and write it bare."""

    name: str
    target: str
    subscribe: Callable[[], Awaitable[None]]
    clear: Callable[[], Awaitable[None]]
    read: Callable[[], Awaitable[list[tuple[Any, ...]]]]
    bare_insert: Callable[[Sequence[tuple[Any, ...]]], Awaitable[None]]


def sqlite_engine(path: Path) -> Engine:
    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA synchronous = NORMAL")  # as the store sets it (the file is WAL)
        return db

    async def subscribe() -> None:
        servers, regions = subscription_rows(CHANNELS)
        db = connect()
        db.execute("BEGIN")
        db.executemany(SERVERS_SQL.format(", ".join("?" * 7)), servers)
        db.executemany(REGIONS_SQL.format(", ".join("?" * 6)), regions)
        db.execute("COMMIT")
        db.close()

    async def clear() -> None:
        db = connect()
        db.execute("DELETE FROM outbox")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()

    async def read() -> list[tuple[Any, ...]]:
        db = connect()
        rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM outbox ORDER BY id").fetchall()
        db.close()
        return rows

    async def bare_insert(rows: Sequence[tuple[Any, ...]]) -> None:
        db = connect()
        db.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" * len(COLUMNS))
        db.executemany(f"INSERT INTO outbox ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        db.execute("COMMIT")
        db.close()

    return Engine("planning", str(path), subscribe, clear, read, bare_insert)


def postgres_engine(url: str) -> Engine:
    import asyncpg

    async def connect() -> Any:
        return await asyncpg.connect(url)

    async def subscribe() -> None:
        servers, regions = subscription_rows(CHANNELS)
        db = await connect()
        async with db.transaction():
            marks = ", ".join(f"${n}" for n in range(1, 8))
            await db.executemany(SERVERS_SQL.format(marks), servers)
            marks = ", ".join(f"${n}" for n in range(1, 7))
            await db.executemany(REGIONS_SQL.format(marks), regions)
        await db.execute("ANALYZE")
        await db.close()

    async def clear() -> None:
        db = await connect()
        await db.execute("TRUNCATE outbox")
        await db.execute("VACUUM ANALYZE outbox")
        await db.close()

    async def read() -> list[tuple[Any, ...]]:
        db = await connect()
        rows = await db.fetch(f"SELECT {', '.join(COLUMNS)} FROM outbox ORDER BY id")
        await db.close()
        return [tuple(r) for r in rows]

    async def bare_insert(rows: Sequence[tuple[Any, ...]]) -> None:
        db = await connect()
        arrays = ", ".join(f"${n}::text[]" for n in range(1, len(COLUMNS) + 1))
        columns = [list(c) for c in zip(*rows, strict=True)]
        await db.execute(
            f"INSERT INTO outbox ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays})", *columns
        )
        await db.close()

    return Engine("planning_postgres", url, subscribe, clear, read, bare_insert)


@dataclass(frozen=True)
class Ours:
    seconds: float
    subscribers: float
    plan: float
    enqueue: float
    queued: int


async def ours(engine: Engine, analysis: Analysis) -> Ours:
    """What a refresh does for a new week: subscribers, plan, enqueue (timed in parts too)."""
    store = await Store.open(engine.target)
    try:
        notifier = Notifier(store, {}, lambda: NOW)
        start = time.perf_counter()
        subs = await store.subscribers()
        planned = time.perf_counter()
        alerts = plan_alerts(analysis, subs)
        queued_at = time.perf_counter()
        queued = await notifier.enqueue(alerts)
        end = time.perf_counter()
        return Ours(end - start, planned - start, queued_at - planned, end - queued_at, queued)
    finally:
        await store.close()


async def measure(engine: Engine, analysis: Analysis) -> Result:
    store = await Store.open(engine.target)  # creates and migrates
    await store.close()
    await engine.subscribe()
    runs: list[Ours] = []
    floors: list[float] = []
    rows: list[tuple[Any, ...]] = []
    for _ in range(RUNS):
        await engine.clear()
        runs.append(await ours(engine, analysis))
        rows = rows or await engine.read()
        await engine.clear()
        start = time.perf_counter()
        await engine.bare_insert(rows)
        floors.append(time.perf_counter() - start)
    best, floor_s = min(runs, key=lambda r: r.seconds), min(floors)
    flaws = ()
    if best.queued != len(rows):
        flaws = (f"queued {best.queued:,} but the outbox holds {len(rows):,}",)
    cards = len({r[COLUMNS.index("card")] for r in rows})
    mb = sum(len(r[COLUMNS.index("card")]) for r in rows) / 2**20
    detail = (
        f"ours {best.seconds:.2f} s = subscribers {best.subscribers:.2f} + plan {best.plan:.2f} "
        f"+ enqueue {best.enqueue:.2f} (runs {', '.join(f'{r.seconds:.2f}' for r in runs)}); "
        f"floor {floor_s:.2f} s (runs {', '.join(f'{f:.2f}' for f in floors)}); "
        f"{len(rows):,} outbox rows for {CHANNELS:,} channels, {cards} distinct cards "
        f"({mb:.0f} MB of card text)"
    )
    return Result(engine.name, best.seconds / floor_s, GOAL, detail=detail, flaws=flaws)


async def run_all() -> list[Result]:
    if not COUNTRIES.is_file():
        why = f"{COUNTRIES} not found"
        return [Result(n, None, GOAL, detail=why) for n in ("planning", "planning_postgres")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "planning.sqlite"
        analysis = await analyse(db)
        results.append(await measure(sqlite_engine(db), analysis))
        db.unlink()
    async with postgres_database() as (url, why):
        if url is None:
            results.append(Result("planning_postgres", None, GOAL, detail=why))
        else:
            results.append(await measure(postgres_engine(url), analysis))
    return results


def main() -> None:
    results = asyncio.run(run_all())
    for result in results:
        print(result.line(), flush=True)
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
