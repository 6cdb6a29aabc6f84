"""Replaying history in memory gives the same judgements as the live, store-backed analysis."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core import Core
from bot.demo import bundled_charts
from bot.models import ChartKey
from bot.replay import ReplayFilter, entry_json, replay
from bot.sources.catalog import Catalog
from bot.titles.library import TitleLibrary, load_library


@pytest.fixture(scope="module")
def library(catalog: Catalog) -> TitleLibrary:
    return load_library(critics=catalog.scores)


def _replayed(library: TitleLibrary, wanted: ReplayFilter) -> list:
    return list(
        replay(bundled_charts(), library.book, library.scores_for, wanted, library.new_films)
    )


async def test_replay_matches_the_live_analysis(core: Core, library: TitleLibrary) -> None:
    wanted = ReplayFilter(
        regions=frozenset({"US", "GB"}), since=date(2022, 6, 19), until=date(2022, 7, 3)
    )
    replayed = _replayed(library, wanted)
    assert {e.week for e in replayed} == {date(2022, 6, 19), date(2022, 6, 26), date(2022, 7, 3)}
    for entry in replayed:
        live = await core.analyst.chart(entry.key, entry.week)
        assert live is not None
        twin = live[entry.movement.rank - 1]
        assert twin.movement == entry.movement
        assert twin.identity == entry.identity
        assert twin.expected == entry.expected
        assert twin.surprise == entry.surprise
        assert twin.group == entry.group


def test_replay_json_shape(library: TitleLibrary) -> None:
    wanted = ReplayFilter(
        regions=frozenset({"US"}),
        category="films",
        since=date(2022, 6, 26),
        until=date(2022, 6, 26),
    )
    rows = [entry_json(e, 60) for e in _replayed(library, wanted)]
    assert len(rows) == 10
    backtrace = rows[7]
    assert backtrace["title"] == "Backtrace" and backtrace["rank"] == 8
    assert backtrace["previous_rank"] is None and backtrace["weeks_in_top10"] == 1
    assert backtrace["matched_title_id"] == "tm414073" and backtrace["matched_year"] == 2018
    assert backtrace["identity"] == "known" and backtrace["expected"] is None
    assert backtrace["identity_sources"]["year"].startswith("catalog:")
    assert backtrace["identity_sources"]["licensed"].startswith("netflix-report:")
    assert backtrace["surprise"] is True and backtrace["scores"]["imdb"] == 38.0
    assert backtrace["group"] == "2022-06-26/movie/tm414073"
    toronto = rows[1]
    assert toronto["title"] == "The Man from Toronto" and toronto["surprise"] is False
    assert toronto["expected"] == "netflix_launch"
    assert all(r["region"] == "US" and r["category"] == "films" for r in rows)
    assert ChartKey("US", "films").region == rows[0]["region"]
