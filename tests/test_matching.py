"""Title matching on the real catalog: renames, remakes by year, fuzzy spellings, overrides."""

from __future__ import annotations

import pytest

from bot.matching import CatalogIndex, build_index, match, normalize, search
from bot.models import MatchMethod
from bot.sources.catalog import Catalog


@pytest.fixture(scope="module")
def index(catalog: Catalog) -> CatalogIndex:
    return build_index(catalog.titles)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Ozark: Season 4", "ozark"),
        ("Ozark: Season 4 Part 1", "ozark"),
        ("Inventing Anna: Limited Series", "inventing anna"),
        ("Amélie", "amelie"),
        ("Love & Gelato", "love and gelato"),
        ("Don't Look Up", "dont look up"),
        ("Emma.", "emma"),
        ("Stranger Things 4", "stranger things 4"),
        ("Money Heist: Part 5", "money heist"),
    ],
)
def test_normalize(raw: str, folded: str) -> None:
    assert normalize(raw) == folded


def test_ozark_season_renames_match_the_same_show(index: CatalogIndex) -> None:
    before = match(index, "Ozark: Season 4 Part 1", "show", 2022)
    after = match(index, "Ozark: Season 4", "show", 2022)
    assert before.title is not None and before.title == after.title
    assert (before.title.id, before.title.year) == ("ts53864", 2017)
    assert before.confident and before.method is MatchMethod.EXACT


def test_backtrace_and_the_man_from_toronto(index: CatalogIndex) -> None:
    backtrace = match(index, "Backtrace", "movie", 2022)
    assert backtrace.title is not None and (backtrace.title.id, backtrace.title.year) == (
        "tm414073",
        2018,
    )
    toronto = match(index, "The Man from Toronto", "movie", 2022)
    assert toronto.title is not None and toronto.title.year == 2022 and toronto.confident


def test_a_remake_is_told_apart_by_the_year_it_charts(index: CatalogIndex) -> None:
    new_bebop = match(index, "Cowboy Bebop", "show", 2021)  # the live-action series, Nov 2021
    assert new_bebop.title is not None and new_bebop.title.year == 2021 and new_bebop.confident
    assert [t.year for t in new_bebop.alternatives] == [1998]
    old_bebop = match(index, "Cowboy Bebop", "show", 2005)
    assert old_bebop.title is not None and old_bebop.title.year == 1998


def test_an_old_remade_name_is_not_guessed_confidently(index: CatalogIndex) -> None:
    # A Nightmare on Elm Street (1984, 2010) charting in 2022: either could be meant
    nightmare = match(index, "A Nightmare on Elm Street", "movie", 2022)
    assert nightmare.title is not None and not nightmare.confident
    # Endless Love charting in 2022 is the 2014 film; the catalog only knows 1981's
    endless = match(index, "Endless Love", "movie", 2022)
    assert endless.title is not None and endless.title.year == 1981
    assert not endless.confident


def test_spacing_and_filler_words_match_confidently(index: CatalogIndex) -> None:
    for chart_title, catalog_name in [
        ("Twentysomethings: Austin", "Twenty Somethings: Austin"),
        ("LOL Surprise: The Movie", "L.O.L. Surprise: The Movie"),
        ("Bordertown: Mural Murders", "Bordertown: The Mural Murders"),
        ("RRR (Hindi)", "RRR"),
    ]:
        found = match(index, chart_title, "show" if "Austin" in chart_title else "movie", 2022)
        assert found.title is not None and found.title.name == catalog_name, chart_title
        assert found.confident, chart_title
    # a short name keeps its article: The Hustle (2019) is not Hustle (2022)
    assert not match(index, "The Hustle", "movie", 2022).confident
    assert match(index, "Hustle", "movie", 2022).confident


def test_names_only_spelled_alike_stay_uncertain(index: CatalogIndex) -> None:
    alike = [
        ("The Watcher", "show"),
        ("Crush", "movie"),
        ("Beauty and the Beast", "movie"),
        ("The Island", "movie"),
    ]
    for chart_title, kind in alike:
        found = match(index, chart_title, kind, 2022)
        assert found.method is MatchMethod.FUZZY and not found.confident, chart_title
        assert found.confidence <= 80
    typo = match(index, "The Man From Torontoo", "movie", 2022)
    assert typo.title is not None and typo.title.name == "The Man from Toronto"
    assert not typo.confident  # a hint for the reasons, never an alert
    # a sequel the catalog does not have yet is not its first film
    assert match(index, "Enola Holmes 2", "movie", 2022).title is None
    assert match(index, "Sing 2", "movie", 2022).title.year == 2021  # exact: the sequel itself
    nothing = match(index, "Chernobyl: Abyss", "movie", 2021)
    assert nothing.title is None and nothing.method is MatchMethod.NONE
    assert match(index, "!!!", "movie", 2022).title is None


def test_override_wins_and_can_forbid_a_match(index: CatalogIndex) -> None:
    forced = match(index, "Endless Love", "movie", 2022, {"Endless Love": "tm414073"})
    assert forced.title is not None and forced.title.name == "Backtrace"
    assert forced.method is MatchMethod.OVERRIDE and forced.confident
    none = match(index, "Backtrace", "movie", 2022, {"Backtrace": None})
    assert none.title is None and none.method is MatchMethod.OVERRIDE


def test_search_for_questions(index: CatalogIndex) -> None:
    assert search(index, "backtrace")[0][0].id == "tm414073"
    bebop = search(index, "Cowboy Bebop")
    assert [(t.year, s) for t, s in bebop[:2]] == [(2021, 100.0), (1998, 100.0)]
    picked = search(index, "Cowboy Bebop (1998)")
    assert picked[0][0].year == 1998 and picked[0][1] == 100.0 and picked[1][1] < 100
    assert search(index, "") == [] and search(index, "???") == []
