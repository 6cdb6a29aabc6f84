"""The analysis of stored weeks: each list's entries judged (bot.judge.week), a week at a time.

Shared by the chat commands, the refresh job and alerts. History comes from the store one week at
a time (`Store.week_history`); titles from TitleKnowledge (the store's title records); scores
from the titles' facts, the catalog's critics and the store's cache of online scores. Analysed
weeks are kept in a small LRU, so memory does not grow with history.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.history import WeekHistory
from bot.judge import codec
from bot.judge.identity import Identity, lookup_key
from bot.judge.names import Kind
from bot.judge.week import Judged, judge_week, launched
from bot.matching import CatalogIndex
from bot.models import Appearance, Chart, ChartKey, Score, Scores, TitleRef
from bot.store import SaveReport, Store
from bot.titles.facts import TitleFacts
from bot.titles.knowledge import TitleKnowledge
from bot.titles.scoring import facts_scores

log = logging.getLogger(__name__)

WEEKS_CACHED = 8  # analysed weeks kept per process (the newest few are what people ask about)
WEEK = timedelta(days=7)


class StorePast:
    """The `Past` bot.judge.week asks about, answered from one WeekHistory."""

    def __init__(self, history: WeekHistory) -> None:
        self._history = history
        self.history_start = history.history_start

    def previous(self, key: ChartKey) -> Chart | None:
        return self._history.previous.get(key)

    def past(self, key: ChartKey, ref: TitleRef) -> Appearance | None:
        return self._history.past(key, ref)

    def first_week(self, kind: Kind, title: str) -> date | None:
        return self._history.first_of(_category(kind), title)

    def first_week_of(self, kind: Kind, ref: TitleRef) -> date | None:
        category = _category(kind)
        found = [
            d
            for d in (
                self._history.first_seen(category, ref),
                self._history.first_seen_global(category, ref),
            )
            if d is not None
        ]
        return min(found) if found else None


class Analyst:
    """Judges every entry of a week's lists; results are cached until the store's charts change."""

    def __init__(
        self,
        store: Store,
        knowledge: TitleKnowledge,
        index: CatalogIndex,
        critics: Mapping[str, Sequence[Score]],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self.knowledge = knowledge
        self._index = index
        self._critics = critics
        self._clock = clock
        self._weeks: OrderedDict[date, dict[ChartKey, tuple[Judged, ...]]] = OrderedDict()
        self._launches: dict[date, frozenset[str]] = {}
        self._overrides: dict[tuple[Kind, str], TitleFacts | None] | None = None
        # many commands may arrive on a cold start: one analysis, the others wait and reuse it
        self._computing = asyncio.Lock()
        self._generation = 0  # bumped whenever the stored charts change under a computation

    @property
    def index(self) -> CatalogIndex:
        return self._index

    def forget(self) -> None:
        """Drop everything cached (after an override, new title records, or replaced charts)."""
        self._weeks.clear()
        self._launches.clear()
        self._overrides = None
        self.knowledge.forget()
        self._generation += 1

    def added(self, stored: Iterable[Chart], report: SaveReport) -> None:
        """Take in charts just saved: analysed weeks are judged again."""
        if report.replaced or report.saved:
            self._weeks.clear()
            self._launches.clear()
            self._generation += 1

    async def week(self, week: date) -> dict[ChartKey, tuple[Judged, ...]]:
        """Every stored list of `week`, judged (computed once; concurrent askers share it)."""
        cached = self._weeks.get(week)
        if cached is not None:
            self._weeks.move_to_end(week)
            return cached
        async with self._computing:
            cached = self._weeks.get(week)
            if cached is not None:
                return cached
            generation = self._generation
            result = await self._stored(week)
            if result is None:
                result = await self.reanalyse(week)
            if generation == self._generation:
                self._weeks[week] = result
                while len(self._weeks) > WEEKS_CACHED:
                    self._weeks.popitem(last=False)
            return result

    async def reanalyse(self, week: date) -> dict[ChartKey, tuple[Judged, ...]]:
        """Judge `week` again and store the result (new titles, a new model, new lists)."""
        result = await self._judge(week, await self._launched(week - WEEK))
        if not self._store.read_only:  # a read-only database keeps nothing: skip serialising
            rows = {
                key: [(j.movement.rank, codec.dump(j)) for j in entries]
                for key, entries in result.items()
            }
            await self._store.save_analysis(week, rows, codec.JUDGE_VERSION, self._clock())
        if week in self._weeks:
            self._weeks[week] = result
        return result

    async def _stored(self, week: date) -> dict[ChartKey, tuple[Judged, ...]] | None:
        """The week as stored when every one of its lists was analysed, else None."""
        found, complete = await self._store.analysis(week)
        if not complete:
            return None
        return {
            key: tuple(codec.load(text, key, week) for _rank, text in sorted(rows))
            for key, rows in found.items()
        }

    async def chart(self, key: ChartKey, week: date) -> tuple[Judged, ...] | None:
        return (await self.week(week)).get(key)

    async def _launched(self, week: date) -> frozenset[str]:
        """The franchises launching in `week` (needs only that week's own explanations)."""
        found = self._launches.get(week)
        if found is None:
            judged = self._weeks.get(week)
            if judged is None:
                judged = await self._judge(week, frozenset())
            found = launched(judged)
            self._launches[week] = found
            while len(self._launches) > WEEKS_CACHED:
                del self._launches[next(iter(self._launches))]
        return found

    async def _judge(
        self, week: date, launched_before: frozenset[str]
    ) -> dict[ChartKey, tuple[Judged, ...]]:
        history = await self._store.week_history(week)
        if not history.current:
            return {}
        keys = {lookup_key(row.title) for c in history.current.values() for row in c.rows}
        titles = await self.knowledge.titles(keys)
        ids = [t.id for found in titles.values() for t in found]
        cached = await self._store.cached_scores_many(ids)

        def scores_for(identity: Identity) -> Scores:
            if identity.title is None or not identity.confident:
                return Scores()
            extra = {identity.title.id: [*self._critics.get(identity.title.id, ()),
                                          *cached.get(identity.title.id, ())]}  # fmt: skip
            return facts_scores(identity.title, extra)

        return judge_week(
            week,
            list(history.current.values()),
            StorePast(history),
            titles,
            scores_for,
            sources_until=await self.knowledge.sources_until(),
            launched_last_week=launched_before,
            new_films=await self.knowledge.new_films(week.year),
            overrides=await self.overrides(),
        )

    async def overrides(self) -> dict[tuple[Kind, str], TitleFacts | None]:
        """Admins' overrides, each resolved to its title (None: "never match this")."""
        if self._overrides is None:
            found: dict[tuple[Kind, str], TitleFacts | None] = {}
            for (chart_title, kind), title_id in (await self._store.overrides()).items():
                title = await self.knowledge.title(title_id) if title_id else None
                if title_id and title is None:
                    log.warning("override of %r names %s, which no title source knows",
                                chart_title, title_id)  # fmt: skip
                    continue
                found[("movie" if kind == "movie" else "show", chart_title)] = title
            self._overrides = found
        return self._overrides


def _category(kind: Kind) -> str:
    return "films" if kind == "movie" else "tv"
