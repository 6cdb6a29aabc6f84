"""Arbitrary bytes into every file the bot reads (through the path that stores it): each body is
accepted, or refused with a SourceError and the store exactly as it was — never another exception,
never an ERROR in the log.

`FILE_LOADERS` is the list to extend when a new file format arrives (engagement XLSX, title CSVs):
a name, real seed files whose mutations reach deep into the parser, and an async `load(core, body)`
that parses and stores one body the way the bot does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.compose import build_core
from bot.config import Config
from bot.core import Core
from bot.errors import SourceError
from bot.sources.catalog import Catalog
from bot.sources.netflix import Fetched
from bot.store import Store
from tests.conftest import TEST_DATA
from tests.fakes import FakeClock

NETFLIX = TEST_DATA / "netflix"


@dataclass(frozen=True)
class FileLoader:
    """One kind of file: how the bot parses and stores a body of it."""

    name: str
    seeds: tuple[Path, ...]
    load: Callable[[Core, bytes], Awaitable[object]]


async def _top10(core: Core, body: bytes) -> object:
    return await core.ingest(Fetched("fuzz.tsv", body))


FILE_LOADERS = [
    FileLoader(
        "top10-tsv",
        (
            NETFLIX / "countries_US_2022-01-23_to_2022-01-30_as-of-2022-12.tsv",
            NETFLIX / "global_7col_2022-06-19_to_2022-07-03.tsv",
            NETFLIX / "global_12col_2025-06-15_to_2025-06-22.tsv",
        ),
        _top10,
    ),
]
# bytes that mean something to a TSV or CSV parser
TOKENS = [b"\t", b"\n", b"\r", b"\r\n", b"", b" ", b"N/A", b"-1", b"0", b"11", b"99999999999999999",
          b"ZZ", b"GLOBAL", b"2099-12-27", b"2022-02-30", b"2022-06-25", b"Films (English)",
          b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b'"', b",", b"<html>", b"null", b"PK\x03\x04",
          b"1e400", b"nan", b"\xe2\x80\xae"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """A real file with a few splices: bytes cut, replaced by tokens or junk, lines repeated."""
    data = seed
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 80)))
        kind = draw(st.sampled_from(["token", "junk", "repeat", "cut"]))
        if kind == "token":
            insert = draw(st.sampled_from(TOKENS))
        elif kind == "junk":
            insert = draw(st.binary(max_size=12))
        elif kind == "repeat":
            insert = data[start:end] * 2
        else:
            insert = b""
        data = data[:start] + insert + data[end:]
    return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog):
    """An empty store and a Core (clock in late 2025) on a loop of their own."""
    loop = asyncio.new_event_loop()
    path = tmp_path_factory.mktemp("fuzz-files") / "files.db"
    store = loop.run_until_complete(Store.open(path))
    clock = FakeClock(datetime(2025, 12, 3, 12, tzinfo=UTC))
    yield loop, build_core(store, Config(), catalog=catalog, clock=clock)
    loop.run_until_complete(store.close())
    loop.close()


async def _snapshot(store: Store) -> object:
    return await store.totals(), await store.weeks(), await store.chart_titles()


@pytest.mark.parametrize("loader", FILE_LOADERS, ids=lambda loader: loader.name)
def test_any_bytes_are_accepted_or_refused_with_the_store_unchanged(
    loader: FileLoader, world, caplog: pytest.LogCaptureFixture
) -> None:
    loop, core = world
    seeds = [path.read_bytes() for path in loader.seeds]
    bodies = st.one_of(
        st.binary(max_size=600),
        st.sampled_from(seeds).flatmap(mutated),
        st.sampled_from(seeds),
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: bytes) -> None:
        caplog.clear()
        before = loop.run_until_complete(_snapshot(core.store))
        try:
            loop.run_until_complete(loader.load(core, body))
        except SourceError as exc:
            assert str(exc).strip() and "Traceback" not in str(exc)
            assert loop.run_until_complete(_snapshot(core.store)) == before
        loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not loud, loud

    check()


def test_the_seeds_are_accepted(world) -> None:
    """The mutations start from files the loaders take, so they reach past the first check."""
    loop, core = world
    for loader in FILE_LOADERS:
        for seed in loader.seeds:
            loop.run_until_complete(loader.load(core, seed.read_bytes()))
