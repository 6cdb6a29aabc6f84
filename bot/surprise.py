"""Surprise, pure: how unexpected a chart entry is (0–100), as a sum of explainable signals.

Signals (DESIGN §3): it *entered* the list (new, or back after a long absence), the title is old
relative to the chart week, it is poorly reviewed, it entered high, and how many other countries it
charts in. A title premiering that week — a fresh Original in its launch week — is the expected case
and stays low. Each Surprise carries at least two Reasons; render.py words them.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.models import (
    ChartKey,
    Match,
    Metric,
    Move,
    Movement,
    Reason,
    ReasonCode,
    Scores,
    Surprise,
)

DEFAULT_THRESHOLD = 60
LONG_ABSENCE_WEEKS = 8
PREMIERE_WINDOW = timedelta(days=14)  # first charted anywhere within two weeks: a launch
PREMIERE_CAP = 15
HOLDING_CAP = 20


def score(key: ChartKey, week: date, movement: Movement, match: Match, scores: Scores) -> Surprise:
    """Judge one chart entry. Pure: the same facts always give the same Surprise."""
    reasons: list[Reason] = []
    reasons.append(_entry(movement))
    title = match.title if match.confident else None
    premiere = False
    if title is None and match.title is not None:
        year = f" ({match.title.year})" if match.title.year else ""
        reasons.append(
            Reason(ReasonCode.UNCERTAIN_MATCH, 0, match.confidence, match.title.name + year)
        )
    elif title is None:
        reasons.append(Reason(ReasonCode.UNMATCHED, 0, match.confidence, match.query))
    elif title.year is not None:
        age = week.year - title.year
        premiere = age <= 1 and _launched_recently(movement, week)
        reasons.append(_age(age, title.year, premiere))
    reasons.extend(_reviews(scores) if title is not None else ())
    if movement.entered:
        reasons.append(_regions(key, movement.regions))
    total = max(0, min(100, sum(r.points for r in reasons)))
    if premiere:
        total = min(total, PREMIERE_CAP)
    if not movement.entered:
        total = min(total, HOLDING_CAP)
    alertable = movement.entered and title is not None and not premiere
    return Surprise(total, tuple(reasons), alertable)


def is_surprise(surprise: Surprise, threshold: int = DEFAULT_THRESHOLD) -> bool:
    return surprise.alertable and surprise.score >= threshold


def _entry(movement: Movement) -> Reason:
    """How it came in; entering high adds to the surprise (10 for the top 3 … 3 for 7–10)."""
    rank_points = 10 if movement.rank <= 3 else 6 if movement.rank <= 6 else 3
    rank = str(movement.rank)
    if movement.move is Move.NEW:
        return Reason(ReasonCode.NEW_ENTRY, 25 + rank_points, movement.rank)
    if movement.move is Move.REENTRY:
        absent = movement.weeks_absent
        points = 20 if absent is not None and absent >= LONG_ABSENCE_WEEKS else 8
        return Reason(ReasonCode.REENTRY, points + rank_points, absent, rank)
    return Reason(ReasonCode.HOLDING, 0, movement.weeks_in_top10, rank)


def _launched_recently(movement: Movement, week: date) -> bool:
    first = movement.first_seen_anywhere
    return first is None or week - first <= PREMIERE_WINDOW


def _age(age: int, year: int, premiere: bool) -> Reason:
    if premiere:
        return Reason(ReasonCode.PREMIERE, 0, age, str(year))
    if age <= 1:
        return Reason(ReasonCode.RECENT_TITLE, 0, age, str(year))
    points = 20 if age >= 10 else 18 if age >= 5 else 15 if age >= 3 else 8
    return Reason(ReasonCode.OLD_TITLE, points, age, str(year))


def _reviews(scores: Scores) -> list[Reason]:
    reasons = []
    imdb = scores.get(Metric.IMDB)
    critics = scores.get(Metric.RT_CRITICS) or scores.get(Metric.METACRITIC)
    if imdb is None and critics is None:
        return [Reason(ReasonCode.NO_SCORES)]
    if imdb is not None:
        value = imdb.value
        if value < 50:
            reasons.append(Reason(ReasonCode.LOW_SCORE, 25, value, imdb.metric.value))
        elif value < 60:
            reasons.append(Reason(ReasonCode.LOW_SCORE, 15, value, imdb.metric.value))
        elif value < 65:
            reasons.append(Reason(ReasonCode.LOW_SCORE, 8, value, imdb.metric.value))
        else:
            points = -5 if value >= 75 else 0
            reasons.append(Reason(ReasonCode.GOOD_SCORE, points, value, imdb.metric.value))
    if critics is not None:
        if critics.value < 30:
            reasons.append(Reason(ReasonCode.LOW_SCORE, 10, critics.value, critics.metric.value))
        elif critics.value < 50:
            reasons.append(Reason(ReasonCode.LOW_SCORE, 5, critics.value, critics.metric.value))
        elif critics.value >= 75:
            reasons.append(Reason(ReasonCode.GOOD_SCORE, 0, critics.value, critics.metric.value))
    return reasons


def _regions(key: ChartKey, regions: tuple[str, ...]) -> Reason:
    others = [r for r in regions if r != key.region]
    if key.region != "GLOBAL" and not others:
        return Reason(ReasonCode.ONLY_HERE, 5, 0)
    points = 5 if len(others) >= 3 else 0
    return Reason(ReasonCode.MANY_REGIONS, points, len(others))
