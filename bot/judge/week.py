"""One week judged, pure: every list's rows → movement, identity, expectation, surprise, event.

The same function serves the live bot (history read from the store) and replay (history folded
from files): both hand in a `Past` that answers what happened before the week, and the titles
known for every name charting that week.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from bot import charts
from bot.judge import surprise
from bot.judge.expectation import (
    Arrival,
    Expected,
    Explanation,
    WeekNews,
    explain,
    franchise_key,
)
from bot.judge.identity import Identity, Sighting, lookup_key, overridden, resolve
from bot.judge.names import Kind
from bot.models import (
    GLOBAL,
    Appearance,
    Chart,
    ChartKey,
    Match,
    Movement,
    Scores,
    Surprise,
    TitleRef,
)
from bot.titles.facts import TitleFacts

WEEK = timedelta(days=7)
_LAUNCHES = frozenset(
    {Explanation.NETFLIX_LAUNCH, Explanation.LAUNCH_PATTERN, Explanation.NEW_SEASON}
)


class Past(Protocol):
    """What the Top 10 files said before a week (implemented over the store, or in memory)."""

    history_start: date | None

    def previous(self, key: ChartKey) -> Chart | None:
        """The same list one week earlier, if held."""
        ...

    def past(self, key: ChartKey, ref: TitleRef) -> Appearance | None:
        """The title's appearances in this list before the week."""
        ...

    def first_week(self, kind: Kind, title: str) -> date | None:
        """The first week the title (any season) charted in any list, up to this week."""
        ...

    def first_week_of(self, kind: Kind, ref: TitleRef) -> date | None:
        """The first week this title and season charted in any list, up to this week."""
        ...


@dataclass(frozen=True, slots=True)
class Judged:
    """A chart row with everything the bot decided about it."""

    key: ChartKey
    week: date
    movement: Movement
    identity: Identity
    scores: Scores
    expected: Expected | None
    surprise: Surprise
    group: str  # the event key: the same title's entries of one week share it

    @property
    def match(self) -> Match:
        """The identity in the older Match shape (render and verdicts speak it)."""
        return self.identity.as_match(self.movement.title, kind_of(self.key))


def kind_of(key: ChartKey) -> Kind:
    return "movie" if key.category == "films" else "show"


def judge_week(
    week: date,
    current: Sequence[Chart],
    past: Past,
    titles: Mapping[str, tuple[TitleFacts, ...]],
    scores_for: Callable[[Identity], Scores],
    *,
    sources_until: date | None,
    launched_last_week: frozenset[str] = frozenset(),
    new_films: frozenset[str] = frozenset(),
    overrides: Mapping[tuple[Kind, str], TitleFacts | None] | None = None,
) -> dict[ChartKey, tuple[Judged, ...]]:
    """Judge every list of `week`; `titles` maps lookup keys to candidates (see lookup_key);
    `overrides` are admins' word on what a (kind, chart title) is (None: nothing)."""
    regions = {
        category: charts.regions_charting(c for c in current if c.key.category == category)
        for category in ("films", "tv")
    }
    in_global = {
        (c.key.category, row.title) for c in current if c.key.region == GLOBAL for row in c.rows
    }
    identities: dict[tuple[Kind, str, str | None], Identity] = {}
    rows: list[tuple[Chart, Movement, Arrival]] = []
    for chart in sorted(current, key=lambda c: c.key):
        key, kind = chart.key, kind_of(chart.key)
        known_past = {r.ref: p for r in chart.rows if (p := past.past(key, r.ref)) is not None}
        first_seen = {r.ref: f for r in chart.rows if (f := past.first_week(kind, r.title))}
        movements = charts.diff(
            chart, past.previous(key), known_past, regions[key.category], first_seen
        )
        for row, movement in zip(chart.rows, movements, strict=True):
            ident_key = (kind, row.title, row.season)
            identity = identities.get(ident_key)
            if identity is None and overrides and (kind, row.title) in overrides:
                identity = overridden(overrides[(kind, row.title)])
                identities[ident_key] = identity
            if identity is None:
                sighting = Sighting(
                    name=row.title,
                    kind=kind,
                    week=week,
                    season_title=row.season,
                    first_week=first_seen.get(row.ref),
                    prior_weeks=_prior_weeks(row.weeks_in_top10, first_seen.get(row.ref), week),
                    runtime_minutes=round(row.runtime_hours * 60) if row.runtime_hours else None,
                    history_start=past.history_start,
                    sources_until=sources_until,
                )
                identity = resolve(sighting, titles.get(lookup_key(row.title), ()))
                identities[ident_key] = identity
            season_first = past.first_week_of(kind, row.ref)
            arrival = Arrival(
                week=week,
                kind=kind,
                name=row.title,
                season_title=row.season,
                identity=identity,
                first_week=first_seen.get(row.ref),
                season_first_week=season_first,
                show_charted_before=_charted_before(past, kind, row.title, season_first, week),
                countries=len(movement.regions),
                in_global=(key.category, row.title) in in_global,
                new_here=row.ref not in known_past and (row.weeks_in_top10 or 1) <= 1,
            )
            rows.append((chart, movement, arrival))
    # first pass: what launched this week, so its franchise's older titles are explained too
    launching = set(launched_last_week)
    for _chart, movement, arrival in rows:
        if movement.entered and _launches(explain(arrival)):
            launching.add(franchise_key(arrival.name))
    news = WeekNews(frozenset(launching), new_films)
    judged: dict[ChartKey, list[Judged]] = {}
    for chart, movement, arrival in rows:
        expected = explain(arrival, news) if movement.entered else None
        scores = scores_for(arrival.identity)
        verdict = surprise.score(chart.key, week, movement, arrival.identity, scores, expected)
        judged.setdefault(chart.key, []).append(
            Judged(
                chart.key,
                week,
                movement,
                arrival.identity,
                scores,
                expected,
                verdict,
                group_key(week, arrival),
            )
        )
    return {key: tuple(entries) for key, entries in judged.items()}


def launched(judged: Mapping[ChartKey, tuple[Judged, ...]]) -> frozenset[str]:
    """Franchise keys of the week's launches (to hand to next week's judge_week)."""
    return frozenset(
        franchise_key(j.movement.title)
        for entries in judged.values()
        for j in entries
        if j.movement.entered and _launches(j.expected)
    )


def _launches(expected: Expected | None) -> bool:
    """A Netflix launch or a new season: what sends people back to the rest of a franchise.
    (A licensed film arriving does not, and franchise explanations never chain.)"""
    return expected is not None and expected.code in _LAUNCHES


def group_key(week: date, arrival: Arrival) -> str:
    """One event per title and week, whatever list it is in: 'week/kind/title-id'."""
    title = arrival.identity.title
    who = title.id if title is not None else f"name:{lookup_key(arrival.name)}"
    return f"{week.isoformat()}/{arrival.kind}/{who}"


def _prior_weeks(weeks_in_top10: int | None, first: date | None, week: date) -> int:
    """Netflix's count of earlier weeks, when our history starts after the title's run began."""
    if weeks_in_top10 is None or first is None or first < week:
        return 0
    return weeks_in_top10


def _charted_before(
    past: Past, kind: Kind, title: str, season_first: date | None, week: date
) -> bool:
    """Did another season of this show chart before this season's first week?"""
    if kind != "show":
        return False
    show_first = past.first_week(kind, title)
    return show_first is not None and season_first is not None and show_first < season_first
