"""Expectation: what explains an entry before anyone calls it a surprise."""

from __future__ import annotations

from datetime import date

import pytest

from bot.judge.expectation import (
    Arrival,
    Explanation,
    WeekNews,
    explain,
    franchise_key,
)
from bot.judge.identity import Identity, Status
from bot.titles.facts import Fact, SeasonFacts, TitleFacts

WEEK = date(2022, 6, 26)
REPORT = "netflix-report:2023H1"


def _title(name: str, kind: str = "movie", year: int | None = None, **facts: object) -> TitleFacts:
    return TitleFacts(
        id=f"t:{name}",
        name=name,
        key=name.casefold(),
        kind=kind,  # type: ignore[arg-type]
        year=Fact(year, "catalog:2022-07", date(2022, 7, 1)) if year else None,
        **facts,
    )  # type: ignore[arg-type]


def _arrival(title: TitleFacts | None, status: Status = Status.KNOWN, **more: object) -> Arrival:
    fields: dict[str, object] = dict(
        week=WEEK,
        kind=title.kind if title else "movie",
        name=title.name if title else "X",
        season_title=None,
        identity=Identity(status, title),
        first_week=WEEK,
        season_first_week=WEEK,
        show_charted_before=False,
        countries=1,
        in_global=False,
    )
    fields.update(more)
    return Arrival(**fields)  # type: ignore[arg-type]


def test_a_netflix_release_that_week_is_its_launch() -> None:
    title = _title(
        "The Man from Toronto",
        year=2022,
        netflix_release=Fact(date(2022, 6, 24), REPORT, date(2023, 6, 30)),
    )
    expected = explain(_arrival(title))
    assert expected is not None and expected.code is Explanation.NETFLIX_LAUNCH
    assert expected.detail == "2022-06-24"


def test_an_old_licensed_film_is_not_explained() -> None:
    backtrace = _title("Backtrace", year=2018, licensed=Fact(True, REPORT, date(2023, 6, 30)))
    assert explain(_arrival(backtrace, countries=19)) is None  # many countries: still old


def test_a_new_title_in_many_countries_has_the_launch_pattern() -> None:
    expected = explain(_arrival(None, Status.UNKNOWN, countries=12))
    assert expected is not None and expected.code is Explanation.LAUNCH_PATTERN
    assert explain(_arrival(None, Status.UNKNOWN, countries=2)) is None


def test_a_later_season_in_its_first_weeks_is_a_new_season() -> None:
    show = _title("Bonus Family", kind="show", year=2017)
    arrival = _arrival(
        show,
        season_title="Bonus Family: Season 4",
        identity=Identity(Status.KNOWN, show, season_number=4),
    )
    expected = explain(arrival)
    assert expected is not None and expected.code is Explanation.NEW_SEASON
    # season 1 of an old show arriving is the show, not a new season
    first = _arrival(
        show,
        season_title="Bonus Family: Season 1",
        identity=Identity(Status.KNOWN, show, season_number=1),
    )
    assert explain(first) is None


def test_a_dated_season_launch_counts_as_a_netflix_launch() -> None:
    season = SeasonFacts(3, netflix_release=Fact(date(2022, 1, 19), REPORT, date(2023, 6, 30)))
    show = _title("Too Hot to Handle", kind="show", year=2020, seasons=(season,))
    arrival = _arrival(
        show,
        week=date(2022, 1, 23),
        season_first_week=date(2022, 1, 23),
        identity=Identity(Status.KNOWN, show, season=season, season_number=3),
    )
    expected = explain(arrival)
    assert expected is not None and expected.code is Explanation.NETFLIX_LAUNCH


@pytest.mark.parametrize(("year", "explained"), [(2021, True), (2020, True), (2019, False)])
def test_recent_films_arriving_are_expected(year: int, explained: bool) -> None:
    expected = explain(_arrival(_title("Sing 2", year=year)))
    assert (expected is not None and expected.code is Explanation.RECENT_RELEASE) is explained


def test_a_franchise_launch_explains_its_older_titles() -> None:
    old = _title("365 Days", year=2019, licensed=Fact(True, REPORT, date(2023, 6, 30)))
    assert franchise_key("365 Days: This Day") == franchise_key("365 Days") == "365 days"
    expected = explain(_arrival(old), WeekNews(launching=frozenset({"365 days"})))
    assert expected is not None and expected.code is Explanation.FRANCHISE_LAUNCH
    assert explain(_arrival(old)) is None


def test_a_sequel_in_cinemas_explains_the_old_film() -> None:
    top_gun = _title("Top Gun", year=1986)
    expected = explain(
        _arrival(top_gun, week=date(2022, 5, 29)),
        WeekNews(new_films=frozenset({franchise_key("Top Gun: Maverick")})),
    )
    assert expected is not None and expected.code is Explanation.FRANCHISE_NEWS


@pytest.mark.parametrize(
    ("name", "week", "genres", "explained"),
    [
        ("A Christmas Prince", date(2022, 12, 11), (), True),
        ("A Christmas Prince", date(2022, 7, 10), (), False),
        ("The Conjuring", date(2021, 10, 24), ("horror",), True),
        ("Hop", date(2022, 4, 17), (), True),  # Easter Sunday 2022
        ("Hop", date(2025, 10, 5), (), False),
    ],
)
def test_seasonal_titles_in_their_season(
    name: str, week: date, genres: tuple[str, ...], explained: bool
) -> None:
    expected = explain(_arrival(_title(name, year=2011, genres=genres), week=week))
    assert (expected is not None and expected.code is Explanation.SEASONAL) is explained
