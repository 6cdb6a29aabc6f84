"""History-size benchmark: cold `trendbot trending` and `trendbot ask` over today's history size
(the 2021–22 countries file repeated four times with shifted weeks and distinct titles: 538k rows)
against the 2022 size (the file once: 134k rows). Each command runs as a fresh process; reported:
wall time and peak RSS, today / 2022 (goals: RSS <= 1.15x and <= 200 MB, wall <= 1.3x).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import COUNTRIES, ROOT, Result
from bot.__main__ import build_core
from bot.config import Config
from bot.sources.netflix import Fetched
from bot.store import Store

NOW = datetime(2027, 3, 1, tzinfo=UTC)  # after the last shifted copy's newest week
COPIES = 4


def shifted(body: bytes, copy: int, weeks: int) -> bytes:
    """The file with every week moved `copy * weeks` weeks later and titles made distinct."""
    if copy == 0:
        return body
    lines = body.decode("utf-8").split("\n")
    header = lines[0].split("\t")
    week_col, show_col = header.index("week"), header.index("show_title")
    season_col = header.index("season_title") if "season_title" in header else None
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split("\t")
        moved = date.fromisoformat(cells[week_col]) + timedelta(weeks=copy * weeks)
        cells[week_col] = moved.isoformat()
        cells[show_col] = f"{cells[show_col]} ({copy})"
        if season_col is not None and cells[season_col] not in ("", "N/A"):
            cells[season_col] = f"{cells[season_col]} ({copy})"
        out.append("\t".join(cells))
    return "\n".join(out).encode()


async def build(db: Path, copies: int, first: int = 0) -> int:
    """A database holding copies `first` … `first + copies - 1` of the file; its row count."""
    body = COUNTRIES.read_bytes()
    weeks = len({line.split("\t")[2] for line in body.decode().split("\n")[1:] if line})
    store = await Store.open(db)
    try:
        core = build_core(store, Config(), clock=lambda: NOW, reviews=[])
        for copy in range(first, first + copies):
            await core.ingest(Fetched(f"copy{copy}", shifted(body, copy, weeks)))
        return (await store.totals()).rows
    finally:
        await store.close()


def cold(db: Path, *argv: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, its own VmHWM) of one fresh `trendbot` process (best wall
    of 3)."""
    best_wall, peak = float("inf"), 0.0
    for _ in range(3):
        # VmHWM, not ru_maxrss: a child started by vfork + exec inherits its parent's ru_maxrss
        # (the kernel carries the old mm's high-water mark into the new program), so ru_maxrss
        # read here would report this bench process's peak after building the databases
        script = (
            "import sys; from bot.__main__ import main; code = main(sys.argv[1:]); "
            "print(next(line.split()[1] for line in open('/proc/self/status') "
            "if line.startswith('VmHWM:')), file=sys.stderr); "
            "sys.exit(code)"
        )
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", script, *argv, "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{argv} failed: {done.stderr[-500:]}")
        best_wall = min(best_wall, wall)
        peak = max(peak, int(done.stderr.strip().splitlines()[-1]) / 1024)
    return best_wall, peak


def run() -> Result:
    if not COUNTRIES.is_file():
        return Result("history_size", None, 1.15, detail=f"{COUNTRIES} not found")
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "2022.db", Path(tmp) / "today.db"
        rows_small = asyncio.run(build(small, 1))
        rows_large = asyncio.run(build(large, COPIES))
        parts, worst_rss, worst_wall, top_mb = [], 0.0, 0.0, 0.0
        for name, argv in (
            ("trending", ("trending", "--region", "US")),
            ("ask", ("ask", "should I watch Backtrace?", "--region", "US")),
        ):
            wall_s, rss_s = cold(small, *argv)
            wall_l, rss_l = cold(large, *argv)
            worst_rss = max(worst_rss, rss_l / rss_s)
            worst_wall = max(worst_wall, wall_l / wall_s)
            top_mb = max(top_mb, rss_l)
            parts.append(
                f"{name}: {wall_s:.2f} s/{rss_s:.0f} MB at {rows_small:,} rows, "
                f"{wall_l:.2f} s/{rss_l:.0f} MB at {rows_large:,} rows"
            )
    flaws = ()
    if top_mb > 200 or worst_wall > 1.3:
        flaws = (f"peak {top_mb:.0f} MB (<= 200), wall ratio {worst_wall:.2f} (<= 1.3)",)
    detail = "; ".join(parts) + f"; wall ratio {worst_wall:.2f}"
    return Result("history_size", worst_rss, 1.15, detail=detail, flaws=flaws)


def main() -> None:
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
