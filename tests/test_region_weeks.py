"""Each region's commands use that region's newest week: with the global feed a week ahead of the
countries feed, `/surprises US`, `/trending US` and "should I watch X?" in the US still answer
for the US's newest week, and GLOBAL for the global one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.asks import Context
from bot.core import Core
from bot.demo import BUNDLED_CHARTS
from bot.models import ChartKey, ReasonCode, Title
from bot.sources.netflix import Fetched
from tests.fakes import FakeClock

CTX = Context("test", "g", "c", "u")
US_NEWEST = date(2022, 8, 28)
GLOBAL_NEWEST = date(2022, 9, 4)


@pytest.fixture
async def global_ahead(core: Core, clock: FakeClock) -> Core:
    """The bundled weeks plus one more global week (2022-09-04) the countries feed lacks."""
    clock.now = datetime(2022, 9, 7, 12, tzinfo=UTC)
    lines = BUNDLED_CHARTS[1].read_text(encoding="utf-8").split("\n")
    last = [ln.replace("2022-08-28", "2022-09-04", 1) for ln in lines[1:] if "2022-08-28" in ln]
    body = "\n".join([lines[0], *last]).encode()
    report = await core.ingest(Fetched("global.tsv", body))
    assert len(report.saved) == 4
    return core


async def test_surprises_for_a_country_use_its_newest_week(global_ahead: Core) -> None:
    card = await global_ahead.run_text("surprises", "US", CTX)
    assert f"week ending {US_NEWEST}" in repr(card)
    assert "2022-09-04" not in repr(card)


async def test_surprises_for_global_use_the_global_newest_week(global_ahead: Core) -> None:
    card = await global_ahead.run_text("surprises", "GLOBAL", CTX)
    assert f"week ending {GLOBAL_NEWEST}" in repr(card)


async def test_trending_defaults_stay_per_list(global_ahead: Core) -> None:
    us = await global_ahead.run_text("trending", "US films", CTX)
    world = await global_ahead.run_text("trending", "GLOBAL films", CTX)
    assert f"week ending {US_NEWEST}" in repr(us)
    assert f"week ending {GLOBAL_NEWEST}" in repr(world)


async def test_a_verdict_reads_momentum_from_the_regions_newest_week(global_ahead: Core) -> None:
    us_films = await global_ahead.store.chart(ChartKey("US", "films"), US_NEWEST)
    assert us_films is not None
    found = await global_ahead.find_title(us_films.rows[0].title)
    assert isinstance(found, Title), found
    judged, week, _image = await global_ahead.verdict_for(found, "US")
    assert week == US_NEWEST
    momentum = {ReasonCode.NEW_ENTRY, ReasonCode.CLIMBING, ReasonCode.FALLING, ReasonCode.HOLDING}
    assert {r.code for r in judged.reasons} & momentum  # it charts in the US that week
    assert await global_ahead.newest_week("US") == US_NEWEST
    assert await global_ahead.newest_week("GLOBAL") == GLOBAL_NEWEST
