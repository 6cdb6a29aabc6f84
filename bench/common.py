"""What every benchmark shares: the result line, best-of-N timing, and where the full data lives."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COUNTRIES = SHARED / "netflix" / "all-weeks-countries_2021-07-04_to_2022-11-13.tsv"
BENCH_DATABASE_URL = "TRENDBOT_BENCH_DATABASE_URL"


@dataclass(frozen=True)
class Result:
    name: str
    ratio: float | None  # None when skipped
    goal: float
    lower_is_better: bool = True
    detail: str = ""
    flaws: tuple[str, ...] = ()  # broken promises (lost or duplicate messages): FAIL at any ratio

    @property
    def ok(self) -> bool:
        if self.ratio is None:
            return True
        if self.flaws:
            return False
        return self.ratio <= self.goal if self.lower_is_better else self.ratio >= self.goal

    def line(self) -> str:
        if self.ratio is None:
            return f"{self.name} skipped goal={self.goal:g} ({self.detail})"
        verdict = "ok" if self.ok else "FAIL"
        said = "; ".join(part for part in (*self.flaws, self.detail) if part)
        tail = f" ({said})" if said else ""
        return f"{self.name} ratio={self.ratio:.2f} goal={self.goal:g} {verdict}{tail}"


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings, in seconds (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main(
    name: str, run: Callable[[], Result], side: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """A bench's entry point: its result line, or (with --side) the other party it talks to,
    which the bench starts as a child process so it does not share the bot's event loop."""
    parser = argparse.ArgumentParser(description=name)
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().side:
        asyncio.run(side())
        return
    logging.basicConfig(level=logging.WARNING)
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)


class ChildSide:
    """The other party of a bench (a fake platform and its load), in a child process that
    answers one JSON line per request on its stdout."""

    name = "child"
    read_timeout = 120.0

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), self.read_timeout)
        if not line:
            raise RuntimeError(f"the {self.name} side exited")
        found: dict[str, Any] = json.loads(line)
        return found

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), timeout=30)


@asynccontextmanager
async def postgres_server() -> AsyncIterator[tuple[PgServer | None, str]]:
    """A PostgreSQL server for the benches: TRENDBOT_BENCH_DATABASE_URL's
    (postgresql://user@host:port/db) if set, else a throwaway cluster started as the tests start
    theirs (tests/pg.py), stopped afterwards. Yields (server, "") or (None, why not)."""
    from tests.pg import PgServer, find_or_start

    given = os.environ.get(BENCH_DATABASE_URL, "").strip()
    if given:
        base, _, admin = given.rstrip("/").rpartition("/")
        server: PgServer | None = PgServer(base, admin or "postgres")
        why = ""
    else:
        server, why = await asyncio.to_thread(find_or_start)
    try:
        yield server, why
    finally:
        if server is not None:
            server.stop()


@asynccontextmanager
async def fresh_database(server: PgServer) -> AsyncIterator[str]:
    """A new, empty database on `server` for one measurement, dropped afterwards."""
    name = await server.create_database()
    try:
        yield server.url(name)
    finally:
        await server.drop_database(name)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[tuple[str | None, str]]:
    """One fresh database on postgres_server(): yields (url, "") or (None, why not)."""
    async with postgres_server() as (server, why):
        if server is None:
            yield None, why
            return
        async with fresh_database(server) as url:
            yield url, ""
