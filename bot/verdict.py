"""Verdict, pure: "should I watch X?" → watch / maybe / skip / so bad it's good, with reasons.

From review scores (critics, audience, IMDb, TMDB), the critic–audience gap, and how the title is
doing in the asker's region right now (momentum, weeks in the top 10).
"""

from __future__ import annotations

from bot.models import (
    Advice,
    Metric,
    Movement,
    Reason,
    ReasonCode,
    Scores,
    Title,
    Verdict,
)

WATCH_FROM = 70.0
MAYBE_FROM = 55.0
SO_BAD_BELOW = 45.0
GAP = 20.0
# How much each score counts towards overall quality; critics and IMDb are the steadiest.
_WEIGHTS = {
    Metric.RT_CRITICS: 1.0,
    Metric.METACRITIC: 1.0,
    Metric.IMDB: 1.5,
    Metric.RT_AUDIENCE: 0.75,
    Metric.TMDB: 0.75,
}


def quality(scores: Scores) -> float | None:
    """Weighted mean of the scores we have (0–100), or None without any."""
    total = weight = 0.0
    for metric, w in _WEIGHTS.items():
        found = scores.get(metric)
        if found is not None:
            total += found.value * w
            weight += w
    return total / weight if weight else None


def advise(title: Title, scores: Scores, now_charting: Movement | None) -> Verdict:
    """Decide; `now_charting` is the title's latest movement in the asker's region, if any."""
    reasons: list[Reason] = []
    q = quality(scores)
    for metric in (
        Metric.IMDB,
        Metric.RT_CRITICS,
        Metric.RT_AUDIENCE,
        Metric.METACRITIC,
    ):
        found = scores.get(metric)
        if found is not None:
            good = found.value >= MAYBE_FROM
            code = ReasonCode.GOOD_SCORE if good else ReasonCode.LOW_SCORE
            reasons.append(Reason(code, 0, found.value, metric.value))
    if q is None:
        reasons.append(Reason(ReasonCode.NO_SCORES))
    elif len(scores.items) < 2:
        reasons.append(Reason(ReasonCode.FEW_SCORES, 0, len(scores.items)))
    critics = scores.get(Metric.RT_CRITICS)
    audience = scores.get(Metric.RT_AUDIENCE)
    if critics is not None and audience is not None and abs(audience.value - critics.value) >= GAP:
        reasons.append(Reason(ReasonCode.CRITICS_AUDIENCE_GAP, 0, audience.value - critics.value))
    momentum = _momentum(now_charting)
    reasons.extend(momentum)
    charting_up = now_charting is not None and (now_charting.entered or now_charting.change > 0)
    if q is None:
        advice = Advice.MAYBE
    elif q >= WATCH_FROM:
        advice = Advice.WATCH
    elif q >= MAYBE_FROM:
        advice = Advice.MAYBE
    elif q < SO_BAD_BELOW and charting_up:
        advice = Advice.SO_BAD_ITS_GOOD  # panned, yet everyone is pressing play
    else:
        advice = Advice.SKIP
    if len(reasons) < 2:
        reasons.append(Reason(ReasonCode.NOT_CHARTING))
    return Verdict(title, advice, tuple(reasons), scores)


def _momentum(movement: Movement | None) -> list[Reason]:
    if movement is None:
        return [Reason(ReasonCode.NOT_CHARTING)]
    reasons = []
    if movement.entered:
        reasons.append(Reason(ReasonCode.NEW_ENTRY, 0, movement.rank))
    elif movement.change > 0:
        reasons.append(Reason(ReasonCode.CLIMBING, 0, movement.change, str(movement.rank)))
    elif movement.change < 0:
        reasons.append(Reason(ReasonCode.FALLING, 0, -movement.change, str(movement.rank)))
    else:
        reasons.append(Reason(ReasonCode.HOLDING, 0, movement.weeks_in_top10, str(movement.rank)))
    if movement.weeks_in_top10 >= 4:
        reasons.append(Reason(ReasonCode.LONG_RUN, 0, movement.weeks_in_top10))
    return reasons
