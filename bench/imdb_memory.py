"""IMDb-refresh memory benchmark (issue 11): the IMDb datasets refresh reads a ~200 MB input with
flat memory.

Synthesised (deterministic, no network): a gzipped title.basics / title.ratings pair in IMDb's
exact format, shaped like the real files (most rows TV episodes, shorts, videos and adult titles
that the reader skips; about one in five a film, series or mini-series it keeps; a rating for
every third title), of 200 MB and of 20 MB (gzipped, the pair together; IMDb's own basics file is
about 200 MB gzipped). Served by a local aiohttp server. Measured, in a fresh process per size:
the real refresh path, `TitleUpdater.update()` with the IMDb sources opted in (download to a
temporary file, recognise, stream, `Store.load_imdb` into a fresh SQLite store in one
transaction), then that process's peak RSS. ratio = peak at 200 MB / peak at 20 MB (goal <= 1.15:
flat in the input's size).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bench.common import ROOT, Result

GOAL = 1.15
BIG_MB, SMALL_MB = 200, 20
NOW = datetime(2026, 7, 21, tzinfo=UTC)
TYPES = (  # (titleType, weight): roughly IMDb's mix
    ("tvEpisode", 70), ("short", 9), ("video", 3), ("movie", 8), ("tvSeries", 3),
    ("tvMiniSeries", 1), ("tvMovie", 2), ("videoGame", 1), ("tvSpecial", 1), ("tvShort", 2),
)  # fmt: skip
GENRES = ("Drama", "Comedy", "Documentary", "Action", "Crime", "Romance", "Thriller", "Horror")
WORDS = (
    "night", "river", "last", "city", "dark", "love", "house", "girl", "war", "king", "secret",
    "summer", "blue", "road", "story", "heart", "man", "little", "star", "lost", "game", "fire",
)  # fmt: skip


def synthesise(directory: Path, megabytes: int, seed: int = 13) -> tuple[Path, Path, int]:
    """title.basics.tsv.gz and title.ratings.tsv.gz, together about `megabytes` gzipped;
    returns their paths and how many basics rows they hold."""
    rng = random.Random(seed)
    # pools drawn once, then picked per row by a multiplicative hash of the row number: fast
    # enough for ten million rows, and still as poorly compressible as real titles
    kinds = [t for t, weight in TYPES for _ in range(weight)]
    names = [" ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4)))
             for _ in range(4093)]  # fmt: skip
    years = [str(rng.randint(1910, 2026)) if rng.random() < 0.93 else "\\N" for _ in range(251)]
    runtimes = [str(rng.randint(5, 200)) if rng.random() < 0.7 else "\\N" for _ in range(241)]
    genres = [",".join(rng.sample(GENRES, rng.randint(1, 3))) for _ in range(239)]
    basics, ratings = directory / "title.basics.tsv.gz", directory / "title.ratings.tsv.gz"
    target = megabytes * 1024 * 1024
    rows = 0
    with (
        basics.open("wb") as raw_b, gzip.GzipFile(fileobj=raw_b, mode="wb", compresslevel=1) as b,
        ratings.open("wb") as raw_r, gzip.GzipFile(fileobj=raw_r, mode="wb", compresslevel=1) as r,
    ):  # fmt: skip
        b.write(b"tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear"
                b"\truntimeMinutes\tgenres\n")  # fmt: skip
        r.write(b"tconst\taverageRating\tnumVotes\n")
        while raw_b.tell() + raw_r.tell() < target:
            lines, rated = [], []
            for n in range(rows + 1, rows + 20_001):
                h = (n * 2654435761) & 0xFFFFFFFF
                name = f"{names[h % 4093]} {h % 99_991}"
                kind = kinds[(h >> 7) % 100]
                year = years[(h >> 3) % 251]
                end = years[(h >> 5) % 251] if kind == "tvSeries" else "\\N"
                original = name if h % 10 else f"{name} (original)"
                lines.append(
                    f"tt{n:08d}\t{kind}\t{name}\t{original}\t{1 if h % 50 == 1 else 0}\t{year}\t"
                    f"{end}\t{runtimes[(h >> 9) % 241]}\t{genres[(h >> 11) % 239]}\n"
                )
                if n % 3 == 0:
                    rated.append(f"tt{n:08d}\t{(h % 91 + 10) / 10}\t{h % 2_000_000}\n")
            rows += 20_000
            b.write("".join(lines).encode())
            r.write("".join(rated).encode())
            b.flush()
            r.flush()
    return basics, ratings, rows


def _own_peak_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: a process started by fork + exec
    inherits its parent's ru_maxrss, so it would report the parent's peak when that is larger."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def refresh(base: str) -> dict[str, float]:
    """In a fresh process: the IMDb refresh from `base` into a new SQLite store; peak RSS."""
    import aiohttp

    from bot.config import TitlesConfig
    from bot.store import Store
    from bot.titles.knowledge import TitleKnowledge
    from bot.titles.update import TitleUpdater

    before = _own_peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "titles.sqlite")
        try:
            config = TitlesConfig(
                imdb_noncommercial=True,
                imdb_basics_url=f"{base}/title.basics.tsv.gz",
                imdb_ratings_url=f"{base}/title.ratings.tsv.gz",
            )
            async with aiohttp.ClientSession() as session:
                updater = TitleUpdater(
                    store, TitleKnowledge(store, lambda: NOW), config, lambda: NOW, session
                )
                start = time.perf_counter()
                done = await updater.update()
                seconds = time.perf_counter() - start
        finally:
            await store.close()
    failed = [f"{u.source}: {u.detail}" for u in done if u.outcome != "loaded"]
    if failed:
        raise RuntimeError("; ".join(failed))
    records = sum(u.records for u in done)
    peak = _own_peak_mb()
    return {"before": before, "peak": peak, "seconds": seconds, "records": records}


async def measure(directory: Path) -> dict[str, float]:
    """Serve `directory` on 127.0.0.1 and refresh from it in a fresh process."""
    app = web.Application()
    app.router.add_static("/", directory)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.imdb_memory", "--refresh", f"http://127.0.0.1:{port}",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"the refresh failed: {err.decode(errors='replace')[-800:]}")
        found: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
        return found
    finally:
        await runner.cleanup()


def run() -> Result:
    found: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in (SMALL_MB, BIG_MB):
            directory = Path(tmp) / f"{megabytes}mb"
            directory.mkdir()
            basics, ratings, rows = synthesise(directory, megabytes)
            size = (basics.stat().st_size + ratings.stat().st_size) / 2**20
            found[megabytes] = asyncio.run(measure(directory)) | {"rows": rows, "mb": size}
            basics.unlink()
            ratings.unlink()
    small, big = found[SMALL_MB], found[BIG_MB]
    detail = "; ".join(
        f"{f['mb']:.0f} MB gzipped ({f['rows']:,.0f} basics rows, {f['records']:,.0f} records "
        f"kept) in {f['seconds']:.1f} s: peak RSS {f['peak']:.0f} MB (after imports "
        f"{f['before']:.0f} MB)"
        for f in (small, big)
    )
    return Result("imdb_memory", big["peak"] / small["peak"], GOAL, detail=detail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refresh", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.refresh:
        print(json.dumps(asyncio.run(refresh(args.refresh))))
        return
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
