"""Replaying history in memory gives the same judgements as the live, store-backed analysis."""

from __future__ import annotations

from datetime import date

from bot.core import Core
from bot.demo import bundled_charts
from bot.matching import build_index
from bot.models import ChartKey
from bot.replay import ReplayFilter, entry_json, replay
from bot.sources.catalog import Catalog


async def test_replay_matches_the_live_analysis(core: Core, catalog: Catalog) -> None:
    wanted = ReplayFilter(
        regions=frozenset({"US", "GB"}), since=date(2022, 6, 19), until=date(2022, 7, 3)
    )
    replayed = list(replay(bundled_charts(), build_index(catalog.titles), catalog.scores, wanted))
    assert {e.week for e in replayed} == {date(2022, 6, 19), date(2022, 6, 26), date(2022, 7, 3)}
    for entry in replayed:
        live = await core.analyst.chart(entry.key, entry.week)
        assert live is not None
        twin = live[entry.movement.rank - 1]
        assert twin.movement == entry.movement
        assert twin.surprise == entry.surprise
        assert twin.match.title == entry.match.title


def test_replay_json_shape(catalog: Catalog) -> None:
    wanted = ReplayFilter(
        regions=frozenset({"US"}),
        category="films",
        since=date(2022, 6, 26),
        until=date(2022, 6, 26),
    )
    rows = [
        entry_json(e, 60)
        for e in replay(bundled_charts(), build_index(catalog.titles), catalog.scores, wanted)
    ]
    assert len(rows) == 10
    backtrace = rows[7]
    assert backtrace["title"] == "Backtrace" and backtrace["rank"] == 8
    assert backtrace["previous_rank"] is None and backtrace["weeks_in_top10"] == 1
    assert backtrace["matched_title_id"] == "tm414073" and backtrace["matched_year"] == 2018
    assert backtrace["surprise"] is True and backtrace["scores"]["imdb"] == 38.0
    assert "IMDb 3.8/10" in backtrace["reasons"]
    assert rows[1]["title"] == "The Man from Toronto" and rows[1]["surprise"] is False
    assert all(r["region"] == "US" and r["category"] == "films" for r in rows)
    assert ChartKey("US", "films").region == rows[0]["region"]
