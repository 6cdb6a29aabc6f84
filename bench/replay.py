"""Replay benchmark: every region and week of the full countries history scored, from the bytes.

Timed: `parse_top10` of the file plus `bot.replay.replay` over its charts with the bundled title
library, consuming every Judged (what `trendbot replay` does, minus the JSON output). The library
is loaded once beforehand (a fixed cost, not per history). Floor: `parse_top10` of the
same bytes. Goal: ratio <= 3.0.
"""

from __future__ import annotations

import sys
import time

from bench.common import COUNTRIES, Result, best_of
from bot.replay import replay
from bot.sources.catalog import load_catalog
from bot.sources.netflix import parse_top10
from bot.titles.library import TitleLibrary, load_library

GOAL = 3.0


def run(runs: int = 3) -> Result:
    if not COUNTRIES.is_file():
        return Result("replay", None, GOAL, detail=f"{COUNTRIES} not found")
    body = COUNTRIES.read_bytes()
    start = time.perf_counter()
    library: TitleLibrary = load_library(critics=load_catalog().scores)
    setup_s = time.perf_counter() - start
    counted: list[int] = []

    def ours() -> None:
        charts = parse_top10(body, COUNTRIES.name)
        found = replay(charts, library.book, library.scores_for, new_films=library.new_films)
        counted.append(sum(1 for _ in found))

    floor_s = best_of(runs, lambda: parse_top10(body, COUNTRIES.name))
    ours_s = best_of(runs, ours)
    entries = counted[-1]
    detail = (
        f"ours {ours_s:.2f} s, floor {floor_s:.3f} s, {entries:,} entries, "
        f"{entries / ours_s:,.0f} entries/s; title library {setup_s:.2f} s untimed"
    )
    return Result("replay", ours_s / floor_s, GOAL, detail=detail)


if __name__ == "__main__":
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)
