"""Replaying history: walk weeks in order, judging every entry as the bot would have then.

The same pure judge (bot.judge.week) as the live path, fed from an in-memory fold over the weeks
(a backtest over files, not the runtime path) and titles from a TitleBook, so a whole history
replays in one pass with no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import charts
from bot.judge import surprise
from bot.judge.identity import Identity, lookup_key
from bot.judge.names import Kind
from bot.judge.week import WEEK, Judged, judge_week, kind_of, launched
from bot.models import Appearance, Chart, ChartKey, Scores, TitleRef
from bot.titles.book import TitleBook
from bot.words.common import movement_mark
from bot.words.reasons import reason_text


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


class MemoryPast:
    """The `Past` of bot.judge.week, folded from charts week by week."""

    def __init__(self, history_start: date | None) -> None:
        self.history_start = history_start
        self._week: date = date.min
        self._previous: dict[ChartKey, Chart] = {}
        self._held: dict[ChartKey, Chart] = {}
        self._past: dict[ChartKey, dict[TitleRef, Appearance]] = {}
        self._first: dict[tuple[Kind, str], date] = {}
        self._first_ref: dict[tuple[Kind, TitleRef], date] = {}

    def start(self, week: date, current: Iterable[Chart]) -> None:
        """Move to `week`; its charts count as seen from this week on."""
        self._previous = {k: c for k, c in self._held.items() if c.week == week - WEEK}
        self._week = week
        for chart in current:
            kind = kind_of(chart.key)
            for row in chart.rows:
                self._first.setdefault((kind, row.title), week)
                self._first_ref.setdefault((kind, row.ref), week)

    def finish(self, current: Iterable[Chart]) -> None:
        """Fold the week's charts into each list's past."""
        for chart in current:
            charts.record(self._past.setdefault(chart.key, {}), chart)
            self._held[chart.key] = chart

    def previous(self, key: ChartKey) -> Chart | None:
        return self._previous.get(key)

    def past(self, key: ChartKey, ref: TitleRef) -> Appearance | None:
        return self._past.get(key, {}).get(ref)

    def first_week(self, kind: Kind, title: str) -> date | None:
        return self._first.get((kind, title))

    def first_week_of(self, kind: Kind, ref: TitleRef) -> date | None:
        return self._first_ref.get((kind, ref))


def replay(
    all_charts: Iterable[Chart],
    book: TitleBook,
    scores_for: Callable[[Identity], Scores],
    wanted: ReplayFilter = ReplayFilter(),
    new_films: Callable[[int], frozenset[str]] = lambda year: frozenset(),
) -> Iterator[Judged]:
    """Yield a Judged entry for every row of every wanted list, weeks in order."""
    by_week: dict[date, list[Chart]] = {}
    for chart in all_charts:
        by_week.setdefault(chart.week, []).append(chart)
    weeks = sorted(by_week)
    past = MemoryPast(weeks[0] if weeks else None)
    launched_before: frozenset[str] = frozenset()
    for week in weeks:
        if wanted.until is not None and week > wanted.until:
            break
        current = by_week[week]
        past.start(week, current)
        titles = book.many(lookup_key(row.title) for chart in current for row in chart.rows)
        judged = judge_week(
            week,
            current,
            past,
            titles,
            scores_for,
            sources_until=book.newest_source,
            launched_last_week=launched_before,
            new_films=new_films(week.year),
        )
        launched_before = launched(judged)
        for key in sorted(judged):
            if wanted.wants(key, week):
                yield from judged[key]
        past.finish(current)


def entry_json(entry: Judged, threshold: int) -> dict[str, Any]:
    """The replay/--json shape of one judged chart entry."""
    m = entry.movement
    identity = entry.identity
    title = identity.title
    return {
        "week": entry.week.isoformat(),
        "region": entry.key.region,
        "category": entry.key.category,
        "language": entry.key.language or None,
        "rank": m.rank,
        "title": m.title,
        "season": m.season,
        "movement": movement_mark(m),
        "previous_rank": m.previous_rank,
        "weeks_in_top10": m.weeks_in_top10,
        "regions_charting": len(m.regions),
        "matched_title_id": title.id if title and identity.confident else None,
        "matched_year": title.year_value if title and identity.confident else None,
        "match_confidence": round(identity.confidence, 1),
        "identity": identity.status.value,
        "identity_sources": identity.sources(),
        "scores": {s.metric.value: round(s.value, 1) for s in entry.scores.items},
        "expected": entry.expected.code.value if entry.expected else None,
        "group": entry.group,
        "surprise_score": entry.surprise.score,
        "surprise": surprise.is_surprise(entry.surprise, threshold),
        "reasons": [reason_text(r) for r in entry.surprise.reasons],
    }
