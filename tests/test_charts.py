"""Chart history on real weeks: ▲▼, NEW, re-entry, weeks in top 10, regions charting."""

from __future__ import annotations

from datetime import date

import pytest

from bot import charts
from bot.models import Appearance, Chart, ChartKey, ChartRow, Move
from bot.sources.netflix import parse_top10
from tests.conftest import TEST_DATA

US_FILMS = ChartKey("US", "films")
FILE = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"


@pytest.fixture(scope="module")
def weeks() -> dict[tuple[ChartKey, date], Chart]:
    return {(c.key, c.week): c for c in parse_top10(FILE.read_bytes(), FILE.name)}


def walk(weeks, key: ChartKey, until: date) -> tuple:
    """Diff `key` at `until`, with history folded from every earlier week, as the bot does."""
    past: dict = {}
    previous = None
    for (k, week), chart in sorted(weeks.items(), key=lambda item: item[0][1]):
        if k != key or week > until:
            continue
        if week == until:
            regions = charts.regions_charting(
                c for (kk, w), c in weeks.items() if w == week and kk.category == key.category
            )
            return charts.diff(chart, previous, past, regions)
        charts.record(past, chart)
        previous = chart
    raise AssertionError("week not found")


def test_backtrace_is_new_at_8_on_2022_06_26(weeks) -> None:
    moves = walk(weeks, US_FILMS, date(2022, 6, 26))
    backtrace = moves[7]
    assert (backtrace.title, backtrace.rank, backtrace.move) == ("Backtrace", 8, Move.NEW)
    assert backtrace.previous_rank is None and backtrace.weeks_in_top10 == 1
    assert backtrace.entered
    # Halftime was #3 the week before and fell to #10
    halftime = moves[9]
    assert (halftime.title, halftime.move, halftime.change) == ("Halftime", Move.DOWN, -7)


def test_backtrace_climbs_3_to_5_in_its_second_week(weeks) -> None:
    moves = walk(weeks, US_FILMS, date(2022, 7, 3))
    backtrace = moves[4]
    assert (backtrace.title, backtrace.rank) == ("Backtrace", 5)
    assert (backtrace.move, backtrace.change, backtrace.previous_rank) == (Move.UP, 3, 8)
    assert backtrace.weeks_in_top10 == 2
    assert not backtrace.entered
    assert backtrace.regions == ("US",)  # charting only in the US among US/GB/SG/CA


def test_regions_charting_counts_country_lists_only(weeks) -> None:
    week = date(2022, 6, 26)
    regions = charts.regions_charting(
        c for (k, w), c in weeks.items() if w == week and k.category == "films"
    )
    assert regions[("The Man from Toronto", None)] == ("CA", "GB", "SG", "US")
    global_chart = Chart(
        ChartKey("GLOBAL", "films", "english"), week, (ChartRow(1, "The Man from Toronto"),)
    )
    assert charts.regions_charting([global_chart]) == {}


def _chart(week: date, *titles: str, cumulative: int | None = None) -> Chart:
    rows = tuple(ChartRow(i + 1, t, None, cumulative) for i, t in enumerate(titles))
    return Chart(US_FILMS, week, rows)


def test_reentry_after_absence_counts_weeks_away() -> None:
    now = _chart(date(2022, 7, 3), "Old Favourite", "Other")
    previous = _chart(date(2022, 6, 26), "Other")
    past = {("Old Favourite", None): Appearance(date(2022, 4, 3), date(2022, 4, 10), 2)}
    moves = charts.diff(now, previous, past)
    assert moves[0].move is Move.REENTRY and moves[0].weeks_absent == 11
    assert moves[0].weeks_in_top10 == 3  # two earlier weeks + this one
    assert moves[1].move is Move.DOWN and moves[1].change == -1


def test_netflix_cumulative_count_beats_missing_history() -> None:
    # the first week we hold: Netflix says these have charted before, so they are not NEW
    first = _chart(date(2022, 5, 1), "Running", cumulative=3)
    assert charts.diff(first, None, {})[0].move is Move.SAME
    # we hold last week's list and it is not there, but Netflix counts earlier weeks: a re-entry
    later = _chart(date(2022, 5, 8), "Back", cumulative=4)
    moved = charts.diff(later, _chart(date(2022, 5, 1), "Other"), {})[0]
    assert moved.move is Move.REENTRY and moved.weeks_absent is None
    assert moved.weeks_in_top10 == 4


def test_previous_chart_must_be_exactly_one_week_earlier() -> None:
    now = _chart(date(2022, 7, 3), "A")
    stale = _chart(date(2022, 6, 19), "A")
    past = {("A", None): Appearance(date(2022, 6, 19), date(2022, 6, 19), 1)}
    moved = charts.diff(now, stale, past)[0]
    assert moved.move is Move.REENTRY and moved.weeks_absent == 1
