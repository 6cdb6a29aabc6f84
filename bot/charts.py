"""Chart history, pure: a week's list against the week before → ▲▼, NEW, re-entry, weeks in top 10.

Also which country lists a title is charting in during a week. No I/O and no clock: callers pass
the charts and each title's past in the list (`Appearance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from bot.models import GLOBAL, Appearance, Chart, Move, Movement, TitleRef

WEEK = timedelta(days=7)


def diff(
    chart: Chart,
    previous: Chart | None,
    past: Mapping[TitleRef, Appearance],
    regions: Mapping[TitleRef, tuple[str, ...]] | None = None,
    first_seen: Mapping[TitleRef, date] | None = None,
) -> tuple[Movement, ...]:
    """Set each row of `chart` against the list one week earlier and the title's past in it.

    `previous` counts only if it is the same list exactly one week earlier; `past` holds every
    title's appearances in this list before `chart.week`.
    """
    last_ranks: dict[TitleRef, int] = {}
    have_previous = (
        previous is not None and previous.key == chart.key and previous.week == chart.week - WEEK
    )
    if previous is not None and have_previous:
        last_ranks = {row.ref: row.rank for row in previous.rows}
    movements = []
    for row in chart.rows:
        ref = row.ref
        history = past.get(ref)
        previous_rank = last_ranks.get(ref)
        weeks_absent: int | None = None
        if previous_rank is not None:
            move = Move.UP if previous_rank > row.rank else Move.DOWN
            if previous_rank == row.rank:
                move = Move.SAME
        elif history is not None and history.last_week < chart.week:
            if history.last_week == chart.week - WEEK:
                move = Move.SAME  # charted last week but we hold no copy of that list
            else:
                move = Move.REENTRY
                weeks_absent = (chart.week - history.last_week).days // 7 - 1
        elif (row.weeks_in_top10 or 1) > 1:
            # Netflix counts earlier weeks we do not hold: not new. Back after an absence if we
            # hold last week's list and it is not there, otherwise still running.
            move = Move.REENTRY if have_previous else Move.SAME
        else:
            move = Move.NEW
        counted = history.weeks + 1 if history is not None else 1
        movements.append(
            Movement(
                rank=row.rank,
                title=row.title,
                season=row.season,
                move=move,
                previous_rank=previous_rank,
                weeks_in_top10=row.weeks_in_top10 or counted,
                weeks_absent=weeks_absent,
                regions=(regions or {}).get(ref, ()),
                first_seen_anywhere=(first_seen or {}).get(ref),
            )
        )
    return tuple(movements)


def regions_charting(charts: Iterable[Chart]) -> dict[TitleRef, tuple[str, ...]]:
    """For each title, the country lists (not GLOBAL) it is in, given one week's charts."""
    found: dict[TitleRef, set[str]] = {}
    for chart in charts:
        if chart.key.region == GLOBAL:
            continue
        for row in chart.rows:
            found.setdefault(row.ref, set()).add(chart.key.region)
    return {ref: tuple(sorted(codes)) for ref, codes in found.items()}


def record(past: dict[TitleRef, Appearance], chart: Chart) -> None:
    """Fold one week of a list into a running `past` (used when walking weeks in order)."""
    for row in chart.rows:
        seen = past.get(row.ref)
        if seen is None:
            past[row.ref] = Appearance(chart.week, chart.week, 1)
        elif seen.last_week < chart.week:
            past[row.ref] = Appearance(seen.first_week, chart.week, seen.weeks + 1)
