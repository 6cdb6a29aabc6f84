"""Replaying history: walk stored weeks in order, scoring every entry as the bot would have then.

The same pure functions as the live path (charts.diff, matching, surprise) fed from an in-memory
fold over the weeks, so a whole history replays in seconds; scores come from the offline catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import charts, matching, render, surprise
from bot.analysis import kind_of
from bot.matching import CatalogIndex, Kind
from bot.models import (
    GLOBAL,
    Appearance,
    Chart,
    ChartKey,
    Match,
    Score,
    ScoredEntry,
    Scores,
    TitleRef,
)
from bot.reviews import newest_per_metric


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    regions: frozenset[str] = frozenset()
    category: str | None = None
    since: date | None = None
    until: date | None = None

    def wants(self, key: ChartKey, week: date) -> bool:
        return (
            (not self.regions or key.region in self.regions)
            and (self.category is None or key.category == self.category)
            and (self.since is None or week >= self.since)
            and (self.until is None or week <= self.until)
        )


def replay(
    all_charts: Iterable[Chart],
    index: CatalogIndex,
    catalog_scores: Mapping[str, tuple[Score, ...]],
    wanted: ReplayFilter = ReplayFilter(),
) -> Iterator[ScoredEntry]:
    """Yield a ScoredEntry for every row of every wanted list, weeks in order."""
    by_week: dict[date, list[Chart]] = {}
    for chart in all_charts:
        by_week.setdefault(chart.week, []).append(chart)
    past: dict[ChartKey, dict[TitleRef, Appearance]] = {}
    previous: dict[ChartKey, Chart] = {}
    first_seen: dict[tuple[str, TitleRef], date] = {}
    matches: dict[tuple[str, Kind], Match] = {}
    scores_by_id: dict[str, Scores] = {}
    for week in sorted(by_week):
        if wanted.until is not None and week > wanted.until:
            break
        week_charts = sorted(by_week[week], key=lambda c: c.key)
        for chart in week_charts:
            if chart.key.region == GLOBAL:
                continue
            for row in chart.rows:
                first_seen.setdefault((chart.key.category, row.ref), week)
        regions = {
            category: charts.regions_charting(c for c in week_charts if c.key.category == category)
            for category in ("films", "tv")
        }
        for chart in week_charts:
            key = chart.key
            history = past.setdefault(key, {})
            if wanted.wants(key, week):
                seen = {
                    row.ref: first_seen[(key.category, row.ref)]
                    for row in chart.rows
                    if (key.category, row.ref) in first_seen
                }
                kind = kind_of(key)
                for movement in charts.diff(
                    chart, previous.get(key), history, regions[key.category], seen
                ):
                    cache_key = (movement.title, kind)
                    found = matches.get(cache_key)
                    if found is None:
                        first = movement.first_seen_anywhere or week
                        found = matches[cache_key] = matching.match(
                            index, movement.title, kind, first.year
                        )
                    scores = Scores()
                    if found.title is not None and found.confident:
                        scores = scores_by_id.get(found.title.id) or Scores(
                            newest_per_metric(catalog_scores.get(found.title.id, ()))
                        )
                        scores_by_id[found.title.id] = scores
                    judged = surprise.score(key, week, movement, found, scores)
                    yield ScoredEntry(key, week, movement, found, scores, judged)
            charts.record(history, chart)
            previous[key] = chart


def entry_json(entry: ScoredEntry, threshold: int) -> dict[str, Any]:
    """The replay/--json shape of one scored chart entry."""
    m = entry.movement
    title = entry.match.title
    return {
        "week": entry.week.isoformat(),
        "region": entry.key.region,
        "category": entry.key.category,
        "language": entry.key.language or None,
        "rank": m.rank,
        "title": m.title,
        "season": m.season,
        "movement": render.movement_mark(m),
        "previous_rank": m.previous_rank,
        "weeks_in_top10": m.weeks_in_top10,
        "regions_charting": len(m.regions),
        "matched_title_id": title.id if title else None,
        "matched_year": title.year if title else None,
        "match_confidence": round(entry.match.confidence, 1),
        "scores": {s.metric.value: round(s.value, 1) for s in entry.scores.items},
        "surprise_score": entry.surprise.score,
        "surprise": surprise.is_surprise(entry.surprise, threshold),
        "reasons": [render.reason_text(r) for r in entry.surprise.reasons],
    }
