"""Shared fixtures: real SQLite stores (empty, or holding the bundled 2022 weeks), a real
PostgreSQL (tests/pg.py) for the tests marked `postgres`, the real catalog, and a Core wired
exactly as bot/cli wires it, with a hand-moved clock."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.compose import build_core
from bot.config import Config
from bot.core import Core
from bot.demo import BUNDLED_CHARTS
from bot.sources.catalog import Catalog, load_catalog
from bot.sources.netflix import parse_top10
from bot.store import Store
from bot.titles.knowledge import BUNDLE_ORIGIN, TitleKnowledge
from tests.fake_discord import FakeDiscord
from tests.fake_slack import FakeSlack
from tests.fakes import FakeClock
from tests.pg import PgServer, find_or_start

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/data (the full real files) is not beside this checkout"
)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with no charts yet but the bundled title records, as the first analysis
    of any week leaves it (~10 s of the bundle loaded into the store), built once. A test about
    refresh or delivery copies it (`seeded_copy`) instead of paying for that load itself."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"

    async def build() -> None:
        store = await Store.open(path)
        try:
            knowledge = TitleKnowledge(store, lambda: datetime(2022, 9, 1, tzinfo=UTC))
            await knowledge.ensure_seeded()
            assert await store.title_set_version(BUNDLE_ORIGIN) is not None
        finally:
            await store.close()

    asyncio.run(build())
    return path


def seeded_copy(seeded_db: Path, path: Path) -> Path:
    """A private copy of `seeded_db` at `path` (a test may write to it)."""
    shutil.copyfile(seeded_db, path)
    return path


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory: pytest.TempPathFactory, seeded_db: Path) -> Path:
    """A database file holding the bundled weeks (2022-05-01 … 2022-08-28), built once."""
    path = seeded_copy(seeded_db, tmp_path_factory.mktemp("bundled") / "bundled.db")

    async def build() -> None:
        store = await Store.open(path)
        try:
            for tsv in BUNDLED_CHARTS:
                charts = parse_top10(tsv.read_bytes(), tsv.name)
                await store.save_charts(charts, tsv.name, datetime(2022, 9, 1, tzinfo=UTC))
            # every week's analysis too (over the title records already seeded), as `trendbot
            # run` makes them (once, so that no test pays for them)
            core = build_core(store, Config(), clock=lambda: datetime(2022, 9, 1, tzinfo=UTC))
            for week in await store.weeks():
                await core.analyst.week(week)
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the whole session (started here unless one is given)."""
    server, why = find_or_start()
    if server is None:
        if os.environ.get("TRENDBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TRENDBOT_REQUIRE_POSTGRES=1 but {why}", pytrace=False)
        pytest.skip(why)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def pg_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = await pg_server.create_database()
    try:
        yield pg_server.url(name)
    finally:
        await pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each engine: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "test.db")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = await server.create_database()
    try:
        yield server.url(name)
    finally:
        await server.drop_database(name)


@pytest.fixture
async def any_store(db_target: str) -> AsyncIterator[Store]:
    """An empty store on each engine (the store suite runs on both)."""
    opened = await Store.open(db_target)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "test.db")
    yield opened
    await opened.close()


@pytest.fixture
async def loaded_store(bundled_db: Path, tmp_path: Path) -> AsyncIterator[Store]:
    """A private copy of the bundled database, so tests may write to it."""
    copy = tmp_path / "loaded.db"
    shutil.copyfile(bundled_db, copy)
    opened = await Store.open(copy)
    yield opened
    await opened.close()


@pytest.fixture
def core(loaded_store: Store, catalog: Catalog, clock: FakeClock) -> Core:
    return build_core(loaded_store, Config(), catalog=catalog, clock=clock)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A local fake of Discord's REST API and gateway (tests/fake_discord.py)."""
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A local fake of Slack's Web API and Socket Mode (tests/fake_slack.py)."""
    fake = await FakeSlack().start()
    yield fake
    await fake.close()
