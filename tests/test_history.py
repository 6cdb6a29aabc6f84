"""The in-memory history index: past appearances per list and first week anywhere, on real weeks."""

from __future__ import annotations

from datetime import date

import pytest

from bot.history import History
from bot.models import Appearance, ChartKey
from bot.sources.netflix import parse_top10
from tests.conftest import TEST_DATA

FILE = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
US_FILMS = ChartKey("US", "films")
BACKTRACE = ("Backtrace", None)


@pytest.fixture(scope="module")
def history() -> History:
    charts = parse_top10(FILE.read_bytes(), FILE.name)
    return History(reversed(charts))  # any order


def test_past_counts_weeks_strictly_before(history: History) -> None:
    assert history.past(US_FILMS, BACKTRACE, date(2022, 6, 26)) is None
    assert history.past(US_FILMS, BACKTRACE, date(2022, 7, 3)) == Appearance(
        date(2022, 6, 26), date(2022, 6, 26), 1
    )
    assert history.past(US_FILMS, BACKTRACE, date(2022, 7, 10)) == Appearance(
        date(2022, 6, 26), date(2022, 7, 3), 2
    )
    assert history.past(ChartKey("GB", "films"), BACKTRACE, date(2022, 7, 17)) is None


def test_first_seen_anywhere_is_the_earliest_country_week(history: History) -> None:
    # The Man from Toronto premiered the week ending 2022-06-26 in every country of this slice
    toronto = ("The Man from Toronto", None)
    assert history.first_seen("films", toronto, date(2022, 7, 17)) == date(2022, 6, 26)
    assert history.first_seen("films", toronto, date(2022, 6, 19)) is None
    assert history.first_seen("tv", toronto, date(2022, 7, 17)) is None


def test_weeks_and_lists(history: History) -> None:
    assert history.weeks()[0] == date(2022, 6, 5) and len(history.weeks()) == 7
    assert set(history.week(date(2022, 6, 26))) >= {US_FILMS, ChartKey("SG", "tv")}
    assert history.week(date(2021, 1, 3)) == {}


def test_a_list_cannot_be_added_twice(history: History) -> None:
    chart = history.week(date(2022, 6, 26))[US_FILMS]
    with pytest.raises(ValueError, match="already held"):
        history.add(chart)
