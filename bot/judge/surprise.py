"""Surprise, pure: how unexpected an entry nothing explains is (0–100), and why, in reasons.

Only entries into a list (new, or back after a long absence) that no expectation explains may
alert. They are scored by what makes people say "where did that come from?": the title's age,
licensed rather than a Netflix title, obscurity (few votes anywhere), how high it entered, how
few other countries it charts in, and its reviews as one signal among these — low reviews raise
it, good ones no longer veto it. A score resting on fewer than 1,000 votes counts half, and the
card says so. Every alertable Surprise carries a "not expected" reason saying what was ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.judge.expectation import Expected, probably_old
from bot.judge.identity import Identity, Status
from bot.models import (
    GLOBAL,
    ChartKey,
    Metric,
    Move,
    Movement,
    Reason,
    ReasonCode,
    Score,
    Scores,
    Surprise,
)

DEFAULT_THRESHOLD = 60
LONG_ABSENCE_WEEKS = 8  # back after this long counts as an entry; shorter is churn
THIN_VOTES = 1_000
HOLDING_CAP = 20
EXPECTED_CAP = 20


@dataclass(frozen=True, slots=True)
class Weights:
    """Points per signal; tuned on the labelled cases' tuning part (bench/evaluate.py)."""

    new_entry: int = 22
    reentry: int = 16
    rank_top3: int = 20  # entering the top 3 from nowhere is what makes people look
    rank_top6: int = 7
    rank_rest: int = 0
    age_15: int = 24
    age_10: int = 21
    age_6: int = 17
    age_4: int = 13
    age_3: int = 9
    licensed: int = 8
    branded: int = -4
    obscure_2k: int = 10
    obscure_20k: int = 6
    obscure_100k: int = 4
    famous: int = -4  # 300,000+ IMDb votes: everyone knows it
    imdb_below_5: int = 12
    imdb_below_6: int = 7
    imdb_below_65: int = 3
    critics_below_30: int = 6
    critics_below_50: int = 3
    only_here: int = 6
    few_regions: int = 3
    global_list: int = 12
    unknown_title: int = 0


WEIGHTS = Weights()


def score(
    key: ChartKey,
    week: date,
    movement: Movement,
    identity: Identity,
    scores: Scores,
    expected: Expected | None,
    weights: Weights = WEIGHTS,
) -> Surprise:
    """Judge one entry. Pure: the same facts always give the same Surprise."""
    reasons = [_entry(movement, weights)]
    entered = movement.entered and _long_enough(movement)
    if expected is not None:
        reasons.append(Reason(ReasonCode.EXPECTED, 0, None, _expected_detail(expected)))
        total = min(sum(r.points for r in reasons), EXPECTED_CAP)
        return Surprise(max(0, total), tuple(reasons), False)
    title = identity.title
    if identity.status is Status.UNCERTAIN and title is not None:
        year = f" ({title.year_value})" if title.year_value else ""
        guess = title.name + year
        reasons.append(Reason(ReasonCode.UNCERTAIN_MATCH, 0, identity.confidence, guess))
    elif identity.status is Status.UNKNOWN:
        reasons.append(Reason(ReasonCode.UNMATCHED, weights.unknown_title, 0, movement.title))
    elif identity.status is Status.NEW_RELEASE:
        reasons.append(Reason(ReasonCode.NEW_RELEASE, 0, None, movement.title))
    sure = identity.status is Status.KNOWN and title is not None
    if sure and title is not None:
        film = key.category == "films"
        reasons.extend(_title(title.year_value, week, film, weights, identity))
        reasons.extend(_reviews(scores, weights))
        reasons.extend(_obscurity(scores, title.imdb_votes, title.tmdb_votes, weights))
    if movement.entered:
        reasons.append(_regions(key, movement.regions, weights))
    if entered and sure:
        reasons.append(_not_expected(identity, week))
    total = max(0, min(100, sum(r.points for r in reasons)))
    if not entered:
        total = min(total, HOLDING_CAP)
    return Surprise(total, tuple(reasons), entered and sure)


def is_surprise(surprise: Surprise, threshold: int = DEFAULT_THRESHOLD) -> bool:
    return surprise.alertable and surprise.score >= threshold


def _long_enough(movement: Movement) -> bool:
    if movement.move is Move.REENTRY:
        return movement.weeks_absent is not None and movement.weeks_absent >= LONG_ABSENCE_WEEKS
    return True


def _entry(movement: Movement, w: Weights) -> Reason:
    rank_points = w.rank_top3 if movement.rank <= 3 else w.rank_top6 if movement.rank <= 6 else 0
    rank_points = rank_points or w.rank_rest
    if movement.move is Move.NEW:
        return Reason(ReasonCode.NEW_ENTRY, w.new_entry + rank_points, movement.rank)
    if movement.move is Move.REENTRY:
        long = _long_enough(movement)
        points = (w.reentry + rank_points) if long else 0
        return Reason(ReasonCode.REENTRY, points, movement.weeks_absent, str(movement.rank))
    return Reason(ReasonCode.HOLDING, 0, movement.weeks_in_top10, str(movement.rank))


def _title(
    year: int | None, week: date, film: bool, w: Weights, identity: Identity
) -> list[Reason]:
    reasons = []
    if year is None and film and identity.title is not None and probably_old(identity.title):
        era = identity.title.era
        reasons.append(Reason(ReasonCode.OLD_TITLE, w.age_10, None, era.value if era else None))
    if year is not None:
        age = week.year - year
        points = (
            w.age_15 if age >= 15 else w.age_10 if age >= 10 else w.age_6 if age >= 6
            else w.age_4 if age >= 4 else w.age_3 if age >= 3 else 0
        )  # fmt: skip
        code = ReasonCode.OLD_TITLE if age >= 3 else ReasonCode.RECENT_TITLE
        reasons.append(Reason(code, points, age, str(year)))
    fact = identity.title.licensed if identity.title else None
    if fact is not None and fact.value:
        reasons.append(Reason(ReasonCode.LICENSED, w.licensed, None, fact.source))
    elif fact is not None:
        reasons.append(Reason(ReasonCode.NETFLIX_BRANDED, w.branded, None, fact.source))
    return reasons


def _reviews(scores: Scores, w: Weights) -> list[Reason]:
    reasons = []
    imdb = scores.get(Metric.IMDB) or scores.get(Metric.TMDB)  # users' score, IMDb's first
    critics = scores.get(Metric.RT_CRITICS) or scores.get(Metric.METACRITIC)
    if imdb is None and critics is None:
        return [Reason(ReasonCode.NO_SCORES)]
    if imdb is not None:
        points = (
            w.imdb_below_5 if imdb.value < 50 else w.imdb_below_6 if imdb.value < 60
            else w.imdb_below_65 if imdb.value < 65 else 0
        )  # fmt: skip
        code = ReasonCode.LOW_SCORE if points else ReasonCode.GOOD_SCORE
        reasons.append(_weighed(_score_reason(code, points, imdb), imdb))
    if critics is not None:
        points = (
            w.critics_below_30 if critics.value < 30 else w.critics_below_50
            if critics.value < 50 else 0
        )  # fmt: skip
        code = ReasonCode.LOW_SCORE if points else ReasonCode.GOOD_SCORE
        reasons.append(_weighed(_score_reason(code, points, critics), critics))
    if imdb is not None and imdb.votes is not None and imdb.votes < THIN_VOTES:
        reasons.append(Reason(ReasonCode.THIN_EVIDENCE, 0, imdb.votes))
    return reasons


def _score_reason(code: ReasonCode, points: int, score: Score) -> Reason:
    return Reason(code, points, score.value, score.metric.value, score.fetched, score.votes)


def _weighed(reason: Reason, score: Score) -> Reason:
    """A users' score from fewer than 1,000 votes counts half (critics' counts are reviews)."""
    users = score.metric in (Metric.IMDB, Metric.TMDB)
    if users and score.votes is not None and score.votes < THIN_VOTES and reason.points:
        return replace(reason, points=reason.points // 2)
    return reason


def _obscurity(scores: Scores, imdb_votes: object, tmdb_votes: object, w: Weights) -> list[Reason]:
    imdb = scores.get(Metric.IMDB)
    votes = imdb.votes if imdb is not None and imdb.votes is not None else None
    if votes is None:
        return []
    points = (
        w.obscure_2k if votes < 2_000 else w.obscure_20k if votes < 20_000
        else w.obscure_100k if votes < 100_000 else w.famous if votes >= 300_000 else 0
    )  # fmt: skip
    if points < 0:
        return [Reason(ReasonCode.FAMOUS, points, votes)]
    return [Reason(ReasonCode.OBSCURE, points, votes)] if points else []


def _regions(key: ChartKey, regions: tuple[str, ...], w: Weights) -> Reason:
    others = [r for r in regions if r != key.region]
    if key.region == GLOBAL:
        return Reason(ReasonCode.MANY_REGIONS, w.global_list, len(others))
    if not others:
        return Reason(ReasonCode.ONLY_HERE, w.only_here, 0)
    points = w.few_regions if key.region != GLOBAL and len(others) <= 3 else 0
    return Reason(ReasonCode.MANY_REGIONS, points, len(others))


def _not_expected(identity: Identity, week: date) -> Reason:
    """What was ruled out, in facts: 'not a Netflix release; no new season; released 2018'."""
    title = identity.title
    ruled_out = []
    if title is not None and title.licensed is not None and title.licensed.value:
        ruled_out.append("licensed")
    elif title is not None and title.netflix_release is not None:
        ruled_out.append(f"netflix:{title.netflix_release.value.isoformat()}")
    else:
        ruled_out.append("no_launch")
    if identity.season_number is None or identity.season_number <= 1:
        ruled_out.append("no_new_season")
    if title is not None and title.year_value is not None:
        ruled_out.append(f"released:{title.year_value}")
    return Reason(ReasonCode.NOT_EXPECTED, 0, None, ";".join(ruled_out))


def _expected_detail(expected: Expected) -> str:
    return expected.code.value + (f":{expected.detail}" if expected.detail else "")
