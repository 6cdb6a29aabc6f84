"""The offline catalog: real titles and scores, Rotten Tomatoes rows joined by name and year."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import SourceError
from bot.models import Metric
from bot.sources.catalog import (
    Catalog,
    CatalogEntry,
    CriticRow,
    join_critics,
    parse_rotten_tomatoes_2020,
    parse_titles,
)


def test_backtrace_has_its_real_scores(catalog: Catalog) -> None:
    scores = {s.metric: s for s in catalog.scores["tm414073"]}
    assert scores[Metric.IMDB].raw == "3.8/10" and scores[Metric.IMDB].votes == 4453
    assert scores[Metric.TMDB].value == pytest.approx(54.0)
    assert scores[Metric.RT_CRITICS].value == 11 and scores[Metric.RT_CRITICS].votes == 9
    assert scores[Metric.RT_AUDIENCE].value == 23 and scores[Metric.RT_AUDIENCE].votes == 98
    assert scores[Metric.RT_CRITICS].fetched.year == 2020
    assert scores[Metric.IMDB].fetched == date(2022, 7, 1)


def test_catalog_size_and_kinds(catalog: Catalog) -> None:
    assert len(catalog.titles) == 5849  # 5,850 rows; tm1063792 has an empty title and is skipped
    assert {t.kind for t in catalog.titles} == {"movie", "show"}
    backtrace = next(t for t in catalog.titles if t.id == "tm414073")
    assert backtrace.genres == ("crime", "action", "drama", "thriller")
    assert "armored car" in catalog.descriptions["tm414073"]


def test_rt_rows_with_empty_scores_or_dates_parse() -> None:
    header = (
        "rotten_tomatoes_link,movie_title,original_release_date,tomatometer_rating,"
        "tomatometer_count,audience_rating,audience_count"
    )
    rows = parse_rotten_tomatoes_2020(header + "\nm/x,Bad Therapy,,,,,\nm/y,Y,14/12/2018,11,9,,\n")
    assert rows[0].critics is None and rows[0].year is None
    assert rows[1].year == 2018 and rows[1].critics == 11 and rows[1].audience is None


def test_same_named_films_join_only_with_a_matching_year() -> None:
    text = (
        "id,title,type,release_year,imdb_id,imdb_score,tmdb_score\n"
        "a,Bad Education,MOVIE,2004,,7.0,\nb,Bad Education,MOVIE,2019,,7.1,\n"
    )
    entries: list[CatalogEntry] = parse_titles(text)
    with_year = CriticRow("Bad Education", 2019, 94, 141, 83, 671, None, date(2020, 7, 1))
    without_year = CriticRow("Bad Education", None, 10, 1, 10, 1, None, date(2020, 7, 1))
    catalog = join_critics(entries, [with_year, without_year])
    assert [s.value for s in catalog.scores["b"] if s.metric is Metric.RT_CRITICS] == [94]
    assert all(s.metric is not Metric.RT_CRITICS for s in catalog.scores["a"])


def test_a_catalog_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(SourceError, match="missing column"):
        parse_titles("name,year\nX,2020\n")
