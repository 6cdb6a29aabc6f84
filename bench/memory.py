"""Memory benchmark: resident memory of a running core over the full history and 10,000 servers.

Set up (one process): the full countries history and the global file ingested through
`Core.ingest`, then 10,000 servers each with an alert channel following three regions. Measured (a
fresh process, as a bot restarted over that database): open the store, build the Core, analyse the
newest week of each file (so the history index and caches are warm as after the first commands),
then read RSS. Reported against a budget of 300 MB: ratio = MB / 300, goal <= 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from bench.common import COUNTRIES, ROOT, SHARED, Result
from bench.refresh import subscribe
from bot.__main__ import build_core
from bot.config import Config
from bot.sources.netflix import Fetched
from bot.store import Store

BUDGET_MB = 300.0
GLOBAL = SHARED / "netflix" / "all-weeks-global.tsv"
SERVERS = 10_000
NOW = datetime(2026, 7, 21, tzinfo=UTC)
COUNTRIES_NEWEST = date(2022, 11, 13)


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


async def build(db: Path) -> dict[str, int]:
    store = await Store.open(db)
    try:
        core = build_core(store, Config(), clock=lambda: NOW, reviews=[])
        for path in (COUNTRIES, GLOBAL):
            await core.ingest(Fetched(path.name, path.read_bytes()))
        regions = await subscribe(store, SERVERS, NOW)
        totals = await store.totals()
        return {"lists": totals.charts, "rows": totals.rows, "regions": regions}
    finally:
        await store.close()


async def measure(db: Path) -> dict[str, float]:
    """In a fresh process: RSS after imports, after building the core, after analysing."""
    imported = rss_mb()
    store = await Store.open(db)
    try:
        core = build_core(store, Config(), clock=lambda: NOW, reviews=[])
        built = rss_mb()
        newest = [await store.latest_week(), COUNTRIES_NEWEST]
        entries = 0
        for week in newest:
            if week is not None:
                entries += sum(len(e) for e in (await core.analyst.week(week)).values())
        gc.collect()
        return {"imported": imported, "built": built, "warm": rss_mb(), "entries": entries}
    finally:
        await store.close()


def run() -> Result:
    if not (COUNTRIES.is_file() and GLOBAL.is_file()):
        return Result("memory", None, 1.0, detail=f"{COUNTRIES} or {GLOBAL} not found")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "full.sqlite"
        stored = asyncio.run(build(db))
        measured = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--measure", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    if measured.returncode != 0:
        raise RuntimeError(f"the measuring process failed: {measured.stderr.strip()[-500:]}")
    found = json.loads(measured.stdout.strip().splitlines()[-1])
    mb = found["warm"]
    detail = (
        f"{mb:.0f} MB of {BUDGET_MB:.0f}: imports {found['imported']:.0f} MB, + core and catalog "
        f"{found['built'] - found['imported']:.0f} MB, + history and analysis "
        f"{mb - found['built']:.0f} MB; {stored['lists']:,} lists, {stored['rows']:,} rows, "
        f"{SERVERS:,} servers following {stored['regions']:,} regions; "
        f"{found['entries']:,.0f} entries analysed"
    )
    return Result("memory", mb / BUDGET_MB, 1.0, detail=detail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
