"""Ingest benchmark: the full countries history (134,620 rows) into a fresh database, against the
floor of csv.reader plus one bare executemany in one transaction. Goal: ratio <= 2.0."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import COUNTRIES, Result, best_of
from bot.__main__ import build_core
from bot.config import Config
from bot.sources.catalog import Catalog, load_catalog
from bot.sources.netflix import Fetched
from bot.store import Store

GOAL = 2.0


def floor(body: bytes, db_path: Path) -> int:
    """What ingest cannot beat: read the TSV with csv and insert every row, nothing else."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter="\t"))[1:]
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (a, b, c, d, e, f, g, h)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    db.close()
    return len(rows)


async def ours(body: bytes, db_path: Path, catalog: Catalog) -> tuple[float, int]:
    """What `trendbot ingest` does (Core.ingest: validate and store in one transaction, the
    database writing each batch while the rest is parsed). Returns (seconds, rows stored)."""
    store = await Store.open(db_path)
    try:
        core = build_core(store, Config(), catalog=catalog)
        start = time.perf_counter()
        report = await core.ingest(Fetched(COUNTRIES.name, body))
        return time.perf_counter() - start, len(report.saved) * 10
    finally:
        await store.close()


def run(runs: int = 3) -> Result:
    if not COUNTRIES.is_file():
        return Result("ingest", None, GOAL, detail=f"{COUNTRIES} not found")
    body = COUNTRIES.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))

        def fresh() -> Path:
            return Path(tmp) / f"db{next(counter)}.sqlite"

        catalog = load_catalog()
        floor_s = best_of(runs, lambda: floor(body, fresh()))
        timings = [asyncio.run(ours(body, fresh(), catalog)) for _ in range(runs)]
        ours_s = min(seconds for seconds, _rows in timings)
        stored = timings[0][1]
    detail = f"ours {ours_s:.3f} s, floor {floor_s:.3f} s, {stored:,} rows"
    return Result("ingest", ours_s / floor_s, GOAL, detail=detail)


if __name__ == "__main__":
    result = run()
    if result.ratio is not None:
        print(f"ingest_ratio={result.ratio:.2f}")
    print(result.line())
    sys.exit(0 if result.ok else 1)
