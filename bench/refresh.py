"""Refresh benchmark: one new week for every region arrives while 1,000 channels are subscribed.

Set up once (untimed): the whole countries history except its newest week, ingested and its alerts
planned, then 1,000 servers (half Discord, half Slack), each with an alert channel following three
regions, both categories, threshold 50 (about three alerts per channel that week; the default 60
plans only a few dozen in all). Each run copies that file, opens a Core and warms it as a running
bot is warm (the previous week analysed once). Timed: `Core.ingest` of a TSV holding only the
newest week (93 countries × 2 lists) plus `alert_new_weeks` planning its alerts into the outbox (the
Notifier has no adapters, so nothing is sent). Floor: `parse_top10` of that same TSV.
Goal: ratio <= 5.0.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bench.common import COUNTRIES, Result, best_of
from bot.__main__ import build_core
from bot.config import Config
from bot.jobs import alert_new_weeks
from bot.models import ServerSettings
from bot.notify import Notifier
from bot.regions import NETFLIX_COUNTRIES
from bot.service import warm_up
from bot.sources.catalog import Catalog, load_catalog
from bot.sources.netflix import Fetched, parse_top10
from bot.store import Store

GOAL = 5.0
CHANNELS = 1_000
REGIONS_EACH = 3
THRESHOLD = 50
NEWEST = date(2022, 11, 13)
NOW = datetime(2022, 11, 15, 12, tzinfo=UTC)


def newest_week_tsv(body: bytes, week: date) -> tuple[bytes, bytes]:
    """Split the countries file: (every week before `week`, only `week`), both with the header."""
    header, _, rest = body.partition(b"\n")
    marker = b"\t" + week.isoformat().encode() + b"\t"
    older: list[bytes] = [header]
    newest: list[bytes] = [header]
    for line in rest.split(b"\n"):
        if line:
            (newest if marker in line else older).append(line)
    return b"\n".join(older) + b"\n", b"\n".join(newest) + b"\n"


def subscriptions(count: int) -> list[tuple[ServerSettings, tuple[str, ...]]]:
    """`count` servers, each with one alert channel and three regions (spread over all 93)."""
    countries = sorted(NETFLIX_COUNTRIES)
    found = []
    for n in range(count):
        platform = "discord" if n % 2 == 0 else "slack"
        server = f"{900_000 + n}" if platform == "discord" else f"T{n:06d}"
        channel = f"{500_000 + n}" if platform == "discord" else f"C{n:06d}"
        regions = tuple(countries[(n * 7 + k * 31) % len(countries)] for k in range(REGIONS_EACH))
        settings = ServerSettings(platform, server, channel, THRESHOLD, ("films", "tv"))
        found.append((settings, regions))
    return found


async def subscribe(store: Store, count: int, now: datetime) -> int:
    """Store `count` subscribed servers with the Store's public methods; returns regions added."""
    added = 0
    for settings, regions in subscriptions(count):
        await store.save_server(settings, now)
        added += len(await store.add_regions(settings.platform, settings.server_id, regions, now))
    return added


async def build_base(older: bytes, path: Path, catalog: Catalog) -> None:
    """The history so far, its alerts planned (nobody subscribed yet), then the subscriptions."""
    store = await Store.open(path)
    try:
        core = build_core(store, Config(), catalog=catalog, clock=lambda: NOW, reviews=[])
        await core.ingest(Fetched(f"file:{COUNTRIES.name}", older))
        await alert_new_weeks(core, Notifier(store, {}, lambda: NOW))
        await subscribe(store, CHANNELS, NOW)
    finally:
        await store.close()


@dataclass(frozen=True)
class Timing:
    ingest: float  # seconds in Core.ingest
    plan: float  # seconds in alert_new_weeks
    lists: int
    queued: int

    @property
    def total(self) -> float:
        return self.ingest + self.plan


async def one_refresh(db: Path, newest: bytes, catalog: Catalog) -> Timing:
    """Open and warm a core over `db`, then time ingest + planning the newest week's alerts."""
    store = await Store.open(db)
    try:
        core = build_core(store, Config(), catalog=catalog, clock=lambda: NOW, reviews=[])
        notifier = Notifier(store, {}, lambda: NOW)
        await warm_up(core)  # as `trendbot run` does at start: history and latest week in memory
        start = time.perf_counter()
        report = await core.ingest(Fetched(f"file:{COUNTRIES.name}", newest))
        ingested = time.perf_counter()
        queued = await alert_new_weeks(core, notifier)
        planned = time.perf_counter()
        return Timing(ingested - start, planned - ingested, len(report.saved), queued)
    finally:
        await store.close()


def run(runs: int = 5) -> Result:
    if not COUNTRIES.is_file():
        return Result("refresh", None, GOAL, detail=f"{COUNTRIES} not found")
    older, newest = newest_week_tsv(COUNTRIES.read_bytes(), NEWEST)
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.sqlite"
        asyncio.run(build_base(older, base, catalog))
        floor_s = best_of(runs * 4, lambda: parse_top10(newest, "newest.tsv"))
        timings: list[Timing] = []
        for n in range(runs):
            copy = Path(tmp) / f"run{n}.sqlite"
            shutil.copyfile(base, copy)
            timings.append(asyncio.run(one_refresh(copy, newest, catalog)))
            copy.unlink()
    best = min(timings, key=lambda t: t.total)
    worst = max(t.total for t in timings)
    detail = (
        f"ours {best.total * 1000:.0f} ms = ingest {best.ingest * 1000:.0f} + plan "
        f"{best.plan * 1000:.0f} (worst run {worst * 1000:.0f}), floor {floor_s * 1000:.1f} ms, "
        f"{best.lists} lists, {best.queued:,} outbox rows for {CHANNELS:,} channels"
    )
    return Result("refresh", best.total / floor_s, GOAL, detail=detail)


if __name__ == "__main__":
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)
