"""One week's chart history as a value: the week's lists, the week before, and for each title
charting that week its past in each list and the first week it charted anywhere.

Built by the store (`Store.week_history(week)`, a few queries touching only that week's titles),
so analysing a week costs the same however long the history grows; no process holds it all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.models import Appearance, Chart, ChartKey, TitleRef


@dataclass(frozen=True, slots=True)
class WeekHistory:
    """Everything the analysis of `week` asks about the past (a pure value)."""

    week: date
    current: Mapping[ChartKey, Chart]  # every list stored for `week`
    previous: Mapping[ChartKey, Chart]  # every list stored for week - 7 days
    # (list, title) → its appearances in that list strictly before `week`
    appearances: Mapping[tuple[ChartKey, TitleRef], Appearance] = field(default_factory=dict)
    # (category, title) → first week in any country list / in a GLOBAL list (<= week)
    first_in_countries: Mapping[tuple[str, TitleRef], date] = field(default_factory=dict)
    first_in_global: Mapping[tuple[str, TitleRef], date] = field(default_factory=dict)
    # (category, show title) → first week in any list, any season (<= week)
    first_of_title: Mapping[tuple[str, str], date] = field(default_factory=dict)
    history_start: date | None = None  # the oldest week the store holds

    def past(self, key: ChartKey, ref: TitleRef) -> Appearance | None:
        """A title's appearances in one list strictly before `week`."""
        return self.appearances.get((key, ref))

    def first_seen(self, category: str, ref: TitleRef) -> date | None:
        """The first week a title charted in any country list of a category, if <= week."""
        first = self.first_in_countries.get((category, ref))
        return first if first is not None and first <= self.week else None

    def first_of(self, category: str, title: str) -> date | None:
        """The first week a title (any season) charted in any list, if <= week."""
        first = self.first_of_title.get((category, title))
        return first if first is not None and first <= self.week else None

    def first_seen_global(self, category: str, ref: TitleRef) -> date | None:
        """The first week a title charted in a GLOBAL list of a category, if <= week."""
        first = self.first_in_global.get((category, ref))
        return first if first is not None and first <= self.week else None
