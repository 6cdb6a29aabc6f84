"""One week's history as the store builds it (`Store.week_history`), on real weeks and on both
engines: the week's lists, the week before, past appearances per list, first week anywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.history import WeekHistory
from bot.models import Appearance, ChartKey
from bot.sources.netflix import parse_top10
from bot.store import Store
from tests.conftest import TEST_DATA

FILE = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
GLOBAL_FILE = TEST_DATA / "netflix" / "global_7col_2022-06-19_to_2022-07-03.tsv"
US_FILMS = ChartKey("US", "films")
BACKTRACE = ("Backtrace", None)
TORONTO = ("The Man from Toronto", None)


@pytest.fixture
async def store(any_store: Store) -> Store:
    for path in (FILE, GLOBAL_FILE):
        charts = parse_top10(path.read_bytes(), path.name)
        await any_store.save_charts(reversed(charts), path.name, datetime(2022, 9, 1, tzinfo=UTC))
    return any_store


async def test_past_counts_weeks_strictly_before(store: Store) -> None:
    assert (await store.week_history(date(2022, 6, 26))).past(US_FILMS, BACKTRACE) is None
    assert (await store.week_history(date(2022, 7, 3))).past(US_FILMS, BACKTRACE) == Appearance(
        date(2022, 6, 26), date(2022, 6, 26), 1
    )
    # Backtrace left the list after 2022-07-03: only titles charting in the week are looked up
    assert (await store.week_history(date(2022, 7, 10))).past(US_FILMS, BACKTRACE) is None
    assert (await store.week_history(date(2022, 7, 3))).past(
        ChartKey("GB", "films"), BACKTRACE
    ) is None


async def test_first_seen_anywhere_is_the_earliest_country_week(store: Store) -> None:
    # The Man from Toronto premiered the week ending 2022-06-26 in every country of this slice
    history = await store.week_history(date(2022, 7, 17))
    assert history.first_seen("films", TORONTO) == date(2022, 6, 26)
    assert history.first_seen("tv", TORONTO) is None
    assert history.first_seen_global("films", TORONTO) == date(2022, 6, 26)
    assert (await store.week_history(date(2022, 6, 19))).first_seen("films", TORONTO) is None


async def test_the_week_and_the_week_before(store: Store) -> None:
    history = await store.week_history(date(2022, 6, 26))
    assert isinstance(history, WeekHistory) and history.week == date(2022, 6, 26)
    assert set(history.current) >= {
        US_FILMS,
        ChartKey("SG", "tv"),
        ChartKey("GLOBAL", "films", "english"),
    }
    assert all(c.week == date(2022, 6, 19) for c in history.previous.values())
    assert history.previous[US_FILMS] == await store.chart(US_FILMS, date(2022, 6, 19))
    empty = await store.week_history(date(2021, 1, 3))
    assert empty.current == {} and empty.previous == {}


async def test_it_matches_a_fold_over_every_stored_week(store: Store) -> None:
    """The store's answers equal the in-memory fold replay uses, for every title of every week."""
    from bot.charts import record
    from bot.models import GLOBAL

    charts = sorted(await store.all_charts(), key=lambda c: c.week)
    past: dict[ChartKey, dict] = {}
    first: dict[tuple[str, tuple], date] = {}
    for week in sorted({c.week for c in charts}):
        history = await store.week_history(week)
        week_charts = [c for c in charts if c.week == week]
        for chart in week_charts:
            for row in chart.rows:
                if chart.key.region != GLOBAL:
                    first.setdefault((chart.key.category, row.ref), week)
        for chart in week_charts:
            for row in chart.rows:
                assert history.past(chart.key, row.ref) == past.get(chart.key, {}).get(row.ref)
                assert history.first_seen(chart.key.category, row.ref) == first.get(
                    (chart.key.category, row.ref)
                )
        for chart in week_charts:
            record(past.setdefault(chart.key, {}), chart)
