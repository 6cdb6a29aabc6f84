"""The analysis pipeline over stored weeks: diff → match → scores → surprise, per list and week.

Shared by the chat commands, the refresh job and alerts. History comes from the store one week at
a time (`Store.week_history`); analysed weeks are kept in a small LRU; scores come from one batched
query per week; matches are kept in memory and written to the store for inspection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime

from bot import charts, matching, surprise
from bot.matching import CatalogIndex, Kind
from bot.models import Chart, ChartKey, Match, Movement, ScoredEntry, Scores
from bot.reviews import ScoreBook
from bot.store import SaveReport, Store

log = logging.getLogger(__name__)

WEEKS_CACHED = 8  # analysed weeks kept per process (the newest few are what people ask about)


def kind_of(key: ChartKey) -> Kind:
    return "movie" if key.category == "films" else "show"


class Analyst:
    """Scores every entry of a week's lists; results are cached until the store's charts change."""

    def __init__(
        self,
        store: Store,
        index: CatalogIndex,
        book: ScoreBook,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._index = index
        self._book = book
        self._clock = clock
        self._matches: dict[tuple[str, Kind], Match] = {}
        self._overrides: dict[tuple[str, str], str | None] | None = None
        self._weeks: OrderedDict[date, dict[ChartKey, tuple[ScoredEntry, ...]]] = OrderedDict()
        # many commands may arrive on a cold start: one analysis, the others wait and reuse it
        self._computing = asyncio.Lock()
        self._generation = 0  # bumped whenever the stored charts change under a computation

    @property
    def index(self) -> CatalogIndex:
        return self._index

    def forget(self) -> None:
        """Drop everything cached (after a match override, or charts replaced in the store)."""
        self._weeks.clear()
        self._overrides = None
        self._matches.clear()
        self._generation += 1

    def added(self, stored: Iterable[Chart], report: SaveReport) -> None:
        """Take in charts just saved: analysed weeks are recomputed (renames also rematch)."""
        if report.replaced:
            self.forget()
            return
        if not report.saved:
            return
        self._weeks.clear()
        self._generation += 1

    async def week(self, week: date) -> dict[ChartKey, tuple[ScoredEntry, ...]]:
        """Every stored list of `week`, scored (computed once; concurrent askers share it)."""
        cached = self._weeks.get(week)
        if cached is not None:
            self._weeks.move_to_end(week)
            return cached
        async with self._computing:
            cached = self._weeks.get(week)
            if cached is not None:
                return cached
            generation = self._generation
            result = await self._compute(week)
            if generation == self._generation:
                self._weeks[week] = result
                while len(self._weeks) > WEEKS_CACHED:
                    self._weeks.popitem(last=False)
            return result

    async def _compute(self, week: date) -> dict[ChartKey, tuple[ScoredEntry, ...]]:
        history = await self._store.week_history(week)
        current = history.current
        previous = history.previous
        regions = {
            category: charts.regions_charting(
                c for c in current.values() if c.key.category == category
            )
            for category in ("films", "tv")
        }
        fresh: list[tuple[Kind, Match]] = []
        diffed = []
        for chart in current.values():
            key, category = chart.key, chart.key.category
            past = {}
            seen = {}
            for row in chart.rows:
                appeared = history.past(key, row.ref)
                if appeared is not None:
                    past[row.ref] = appeared
                first = history.first_seen(category, row.ref)
                if first is not None:
                    seen[row.ref] = first
            movements = charts.diff(chart, previous.get(key), past, regions[category], seen)
            matched = [(m, await self._match_movement(chart, m, fresh)) for m in movements]
            diffed.append((chart, matched))
        # scores only for titles we are sure of: an unsure match would show another film's IMDb
        titles = {
            m.title.id: m.title
            for _c, pairs in diffed
            for _mv, m in pairs
            if m.title is not None and m.confident
        }
        scores = await self._book.offline_many(titles.values())
        result: dict[ChartKey, tuple[ScoredEntry, ...]] = {}
        for chart, pairs in diffed:
            result[chart.key] = tuple(
                _scored(
                    chart,
                    movement,
                    found,
                    scores.get(found.title.id) if found.title and found.confident else None,
                )
                for movement, found in pairs
            )
        if fresh:
            for kind in ("movie", "show"):
                await self._store.save_matches(
                    kind, [m for k, m in fresh if k == kind], self._clock()
                )
        return result

    async def chart(self, key: ChartKey, week: date) -> tuple[ScoredEntry, ...] | None:
        return (await self.week(week)).get(key)

    async def match(self, chart_title: str, kind: Kind, first_year: int | None) -> Match:
        cached = self._matches.get((chart_title, kind))
        if cached is not None:
            return cached
        if self._overrides is None:
            self._overrides = await self._store.overrides()
        overrides = {t: i for (t, k), i in self._overrides.items() if k == kind}
        found = matching.match(self._index, chart_title, kind, first_year, overrides)
        self._matches[(chart_title, kind)] = found
        return found

    async def _match_movement(
        self, chart: Chart, movement: Movement, fresh: list[tuple[Kind, Match]]
    ) -> Match:
        kind = kind_of(chart.key)
        known = (movement.title, kind) in self._matches
        first = movement.first_seen_anywhere or chart.week
        found = await self.match(movement.title, kind, first.year)
        if not known:
            fresh.append((kind, found))
        return found


def _scored(chart: Chart, movement: Movement, found: Match, scores: Scores | None) -> ScoredEntry:
    scores = scores or Scores()
    judged = surprise.score(chart.key, chart.week, movement, found, scores)
    return ScoredEntry(chart.key, chart.week, movement, found, scores, judged)
