"""Identity: which title a chart entry is — the year suffix, runtime, launch date, first week."""

from __future__ import annotations

from datetime import date

import pytest

from bot.judge.identity import Evidence, Sighting, Status, lookup_key, resolve
from bot.titles import bundle
from bot.titles.book import TitleBook
from bot.titles.facts import merge_name
from bot.titles.records import TitleRecord

HISTORY_START = date(2021, 7, 4)
REPORT = date(2024, 6, 30)


@pytest.fixture(scope="module")
def shipped() -> TitleBook:
    return TitleBook(bundle.read_records())


def _film(name: str, **facts: object) -> TitleRecord:
    return TitleRecord(
        source="netflix-report:2024H1", as_of=REPORT, name=name, kind="movie", **facts
    )  # type: ignore[arg-type]


def _sighting(name: str, week: date, **more: object) -> Sighting:
    return Sighting(
        name=name,
        kind="movie",
        week=week,
        first_week=week,
        history_start=HISTORY_START,
        sources_until=date(2025, 7, 1),
        **more,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "week", "runtime", "status", "year"),
    [
        # Netflix's 2026 film is not the 2017 one: its runtime differs (109 vs 123 min)
        ("War Machine", date(2026, 3, 8), 109, Status.NEW_RELEASE, 2026),
        # TMDB lists the 2025 Anaconda; the 1997 film runs 89 minutes, not 99
        ("Anaconda", date(2026, 3, 29), 99, Status.KNOWN, 2025),
        ("Ladies First", date(2026, 5, 24), 93, Status.NEW_RELEASE, 2026),
        ("Dude", date(2025, 11, 16), 137, Status.NEW_RELEASE, 2025),
        ("Thug Life", date(2025, 7, 6), 164, Status.NEW_RELEASE, 2025),
        ("Nothing to Lose", date(2026, 7, 12), 102, Status.NEW_RELEASE, 2026),
        ("KPop Demon Hunters", date(2025, 6, 22), 100, Status.KNOWN, 2025),
        ("Backtrace", date(2022, 6, 26), None, Status.KNOWN, 2018),
    ],
)
def test_same_name_titles_resolve_to_the_right_one(
    shipped: TitleBook, name: str, week: date, runtime: int | None, status: Status, year: int
) -> None:
    identity = resolve(
        _sighting(name, week, runtime_minutes=runtime), shipped.titles(lookup_key(name))
    )
    assert identity.status is status
    assert identity.title is not None and identity.title.year_value == year


def test_a_launch_date_decides() -> None:
    titles = merge_name(
        [
            _film("Hustle", netflix_release=date(2022, 6, 8), licensed=False),
            _film("Hustle", year=2008),
        ]
    )
    identity = resolve(_sighting("Hustle", date(2022, 6, 12)), titles)
    assert identity.status is Status.KNOWN and Evidence.LAUNCH in identity.evidence
    assert identity.title is not None and identity.title.year_value == 2022


def test_netflix_runtime_tells_two_old_titles_apart() -> None:
    titles = merge_name(
        [
            _film("Emma", year_suffix=1996, runtime_minutes=120),
            _film("Emma", year_suffix=2020, runtime_minutes=124),
        ]
    )
    identity = resolve(
        _sighting("Emma", date(2024, 3, 3), runtime_minutes=124, prior_weeks=3), titles
    )
    assert identity.status is Status.KNOWN and identity.evidence == (Evidence.RUNTIME,)
    assert identity.title is not None and identity.title.year_value == 2020


def test_a_neighbouring_year_does_not_split_a_title() -> None:
    def popular(year: int, votes: int) -> TitleRecord:
        return TitleRecord(
            source=f"tmdb-popular:{year}", as_of=REPORT, name="Non-Stop", kind="movie",
            year=year, tmdb_votes=votes,
        )  # fmt: skip

    matched = TitleRecord(
        source="tmdb:2025H1", as_of=REPORT, name="Non-Stop", kind="movie", year=2014
    )
    # TMDB's 2013 list holds another "Non-Stop": the 2014 film's records stay together
    titles = merge_name([popular(2013, 31), matched, popular(2014, 5401)])
    assert [(t.year_value, t.tmdb_votes and t.tmdb_votes.value) for t in titles] == [
        (2013, 31),
        (2014, 5401),
    ]
    assert {s for s, _ in titles[1].listed} == {"tmdb:2025H1", "tmdb-popular:2014"}


def test_the_only_namesake_netflix_ever_listed_is_the_one_on_its_chart() -> None:
    def popular(year: int) -> TitleRecord:
        return TitleRecord(
            source=f"tmdb-popular:{year}", as_of=REPORT, name="Twilight", kind="movie", year=year
        )

    listed = _film("Twilight", year=2008, licensed=True)  # a 2024 report, years after the chart
    sighting = _sighting("Twilight", date(2021, 8, 1))
    identity = resolve(sighting, merge_name([popular(2015), popular(2008), listed]))
    assert identity.status is Status.KNOWN and Evidence.NETFLIX_LISTED in identity.evidence
    assert identity.title is not None and identity.title.year_value == 2008
    # a report row without a year may be either namesake: nothing decides
    yearless = _film("Twilight", licensed=True)
    undecided = resolve(sighting, merge_name([popular(2015), popular(2008), yearless]))
    assert undecided.status is Status.UNCERTAIN


def test_the_printed_year_suffix_picks_the_title() -> None:
    titles = merge_name([_film("Death Wish", year=1974), _film("Death Wish", year=2018)])
    identity = resolve(_sighting("Death Wish (2018)", date(2022, 1, 9)), titles)
    assert identity.status is Status.KNOWN and Evidence.YEAR_SUFFIX in identity.evidence
    assert identity.title is not None and identity.title.year_value == 2018


def test_a_title_released_after_it_charted_is_not_it() -> None:
    titles = merge_name([_film("Lift", netflix_release=date(2024, 1, 12), licensed=False)])
    identity = resolve(_sighting("Lift", date(2022, 3, 6)), titles)
    assert identity.status is Status.UNKNOWN


def test_an_old_title_first_charting_is_the_old_one_only_if_netflix_had_it() -> None:
    old = TitleRecord(
        source="catalog:2022-07",
        as_of=date(2022, 7, 1),
        name="Backtrace",
        kind="movie",
        year=2018,
        ref="tm414073",
    )
    listed = resolve(_sighting("Backtrace", date(2022, 6, 26)), merge_name([old]))
    assert listed.status is Status.KNOWN and Evidence.ON_NETFLIX in listed.evidence
    # the same old title, first charting after every source we hold: a new release
    late = resolve(_sighting("Backtrace", date(2026, 6, 28)), merge_name([old]))
    assert late.status is Status.NEW_RELEASE and late.title is not None
    assert late.title.year_value == 2026 and late.sources() == {
        "first_week": "top10",
        "year": "top10",
    }


def test_a_lone_title_thirty_years_older_stays_uncertain() -> None:
    titles = merge_name([_film("Top Gun", year=1986)])
    identity = resolve(_sighting("Top Gun", date(2022, 5, 29)), titles)
    assert identity.status is Status.UNCERTAIN and Evidence.REMAKE_RISK in identity.evidence
    assert not identity.confident


def test_same_name_titles_equally_plausible_stay_uncertain() -> None:
    titles = merge_name(
        [_film("The Mummy", year_suffix=1999), _film("The Mummy", year_suffix=2017)]
    )
    identity = resolve(_sighting("The Mummy", date(2021, 7, 4), prior_weeks=2), titles)
    assert identity.status is Status.UNCERTAIN and len(identity.alternatives) == 1


def test_a_show_season_gets_its_own_facts() -> None:
    rows = [
        TitleRecord(
            source="netflix-report:2023H1",
            as_of=date(2023, 6, 30),
            name="Manifest",
            kind="show",
            season=n,
            netflix_release=d,
            licensed=False,
        )
        for n, d in ((1, date(2021, 6, 10)), (4, date(2022, 11, 4)))
    ]
    sighting = Sighting(
        name="Manifest",
        kind="show",
        week=date(2022, 11, 6),
        season_title="Manifest: Season 4",
        first_week=date(2021, 7, 4),
        prior_weeks=4,
        history_start=HISTORY_START,
    )
    identity = resolve(sighting, merge_name(rows))
    assert identity.status is Status.KNOWN and identity.season_number == 4
    assert identity.season is not None and identity.season.netflix_release is not None
    assert identity.season.netflix_release.value == date(2022, 11, 4)


def test_a_slice_of_the_bundle_merges_as_the_whole_book_does(shipped: TitleBook) -> None:
    from bot.titles.book import BundleSlice

    part = BundleSlice(bundle.BUNDLE)
    keys = [lookup_key(n) for n in ("Backtrace", "Non-Stop", "Anaconda", "Major Payne")]
    assert dict(part.many(keys)) == dict(shipped.many(keys))  # eras included
    assert part.newest_source == shipped.newest_source
    backtrace = next(r for r in shipped.records("backtrace") if r.ref)
    assert part.key_of(str(backtrace.ref)) == "backtrace"
    assert part.key_of("tm-nothing") is None and part.key_of("") is None
