"""Chart history in memory: every stored list by week, and each title's weeks per list.

A cache derived from the store (which stays the source of truth), so analysing a week needs no
SQL: who charted last week, when a title first appeared in a list or anywhere, how many weeks.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from datetime import date

from bot.models import GLOBAL, Appearance, Chart, ChartKey, TitleRef


class History:
    """Charts by week plus per-title indexes; add charts in any order."""

    def __init__(self, charts: Iterable[Chart] = ()) -> None:
        self._by_week: dict[date, dict[ChartKey, Chart]] = {}
        # (list, title) → the weeks it was in that list, sorted
        self._weeks: dict[tuple[ChartKey, TitleRef], list[date]] = {}
        # (category, title) → the first week it was in any country list
        self._first: dict[tuple[str, TitleRef], date] = {}
        self._latest: dict[ChartKey, date] = {}
        for chart in charts:
            self.add(chart)

    def add(self, chart: Chart) -> None:
        lists = self._by_week.setdefault(chart.week, {})
        if chart.key in lists:
            raise ValueError(f"{chart.key} {chart.week} is already held; rebuild to replace it")
        lists[chart.key] = chart
        week = chart.week
        if week > self._latest.get(chart.key, date.min):
            self._latest[chart.key] = week
        country = chart.key.region != GLOBAL
        category = chart.key.category
        for row in chart.rows:
            ref = row.ref
            weeks = self._weeks.get((chart.key, ref))
            if weeks is None:
                self._weeks[(chart.key, ref)] = [week]
            elif weeks[-1] < week:
                weeks.append(week)
            else:
                insort(weeks, week)
            if country:
                first = self._first.get((category, ref))
                if first is None or week < first:
                    self._first[(category, ref)] = week

    def week(self, week: date) -> dict[ChartKey, Chart]:
        """Every list of one week (empty when none is held)."""
        return self._by_week.get(week, {})

    def latest(self, key: ChartKey) -> date | None:
        """The newest week held for a list."""
        return self._latest.get(key)

    def weeks(self) -> list[date]:
        return sorted(self._by_week)

    def past(self, key: ChartKey, ref: TitleRef, before: date) -> Appearance | None:
        """A title's appearances in one list strictly before `before`."""
        weeks = self._weeks.get((key, ref))
        if not weeks:
            return None
        count = bisect_left(weeks, before)
        if count == 0:
            return None
        return Appearance(weeks[0], weeks[count - 1], count)

    def first_seen(self, category: str, ref: TitleRef, until: date) -> date | None:
        """The first week a title charted in any country list of a category, if by `until`."""
        first = self._first.get((category, ref))
        return first if first is not None and first <= until else None
