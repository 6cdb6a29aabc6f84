"""Surprise on real rows: Backtrace (2018, IMDb 3.8, new at #8) is one; The Man from Toronto
(a Netflix release that week) is expected; holding entries and unsure identities never alert."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core import Core
from bot.judge import surprise
from bot.judge.expectation import Expected, Explanation
from bot.judge.identity import Identity, Status
from bot.models import ChartKey, Metric, Move, Movement, ReasonCode, Score, Scores
from bot.titles.facts import Fact, TitleFacts
from bot.words.reasons import reason_text

US_FILMS = ChartKey("US", "films")
WEEK = date(2022, 6, 26)
REPORT = "netflix-report:2023H1"


@pytest.fixture
async def us_week(core: Core) -> dict[str, object]:
    entries = await core.analyst.chart(US_FILMS, WEEK)
    assert entries is not None
    return {e.movement.title: e for e in entries}


async def test_backtrace_is_a_surprise_with_plain_reasons(us_week) -> None:
    backtrace = us_week["Backtrace"]
    assert surprise.is_surprise(backtrace.surprise, 60)
    codes = {r.code for r in backtrace.surprise.reasons}
    assert {ReasonCode.NEW_ENTRY, ReasonCode.OLD_TITLE, ReasonCode.LOW_SCORE} <= codes
    assert {ReasonCode.LICENSED, ReasonCode.NOT_EXPECTED} <= codes
    words = [reason_text(r) for r in backtrace.surprise.reasons]
    assert "2018 release — 4 years old" in words
    assert "new this week at #8" in words
    assert any(w.startswith("IMDb 3.8/10") for w in words)
    assert "not expected: not a Netflix release; no new season; released 2018" in words


async def test_the_man_from_toronto_is_the_expected_case(us_week) -> None:
    toronto = us_week["The Man from Toronto"]
    assert not surprise.is_surprise(toronto.surprise, 0)
    assert toronto.expected is not None
    assert toronto.expected.code is Explanation.NETFLIX_LAUNCH
    assert toronto.surprise.score <= surprise.EXPECTED_CAP
    assert "expected: a Netflix release (24 Jun 2022)" in [
        reason_text(r) for r in toronto.surprise.reasons
    ]


async def test_every_entry_has_a_score_and_two_reasons(us_week) -> None:
    for entry in us_week.values():
        assert 0 <= entry.surprise.score <= 100
        assert len(entry.surprise.reasons) >= 2
        assert all(reason_text(r) for r in entry.surprise.reasons)


async def test_no_netflix_launch_alerts_that_week(us_week) -> None:
    alerting = {t for t, e in us_week.items() if surprise.is_surprise(e.surprise, 60)}
    assert "Backtrace" in alerting
    launches = {t for t, e in us_week.items() if e.expected is not None}
    assert launches >= {"The Man from Toronto", "Love & Gelato", "Sing 2"}
    assert not alerting & launches


def _movement(move: Move, rank: int = 5, regions: tuple[str, ...] = ("US",), **more) -> Movement:
    previous = None if move in (Move.NEW, Move.REENTRY) else 7
    return Movement(rank, "X", None, move, previous, 3, more.get("absent"), regions)


def _old(**facts: object) -> Identity:
    title = TitleFacts(
        id="t1",
        name="X",
        key="x",
        kind="movie",
        year=Fact(2001, "catalog:2022-07", date(2022, 7, 1)),
        **facts,
    )  # type: ignore[arg-type]
    return Identity(Status.KNOWN, title)


def test_a_holding_title_is_capped_and_never_alerts() -> None:
    judged = surprise.score(US_FILMS, WEEK, _movement(Move.UP), _old(), Scores(), None)
    assert judged.score <= surprise.HOLDING_CAP and not judged.alertable


def test_an_uncertain_identity_never_alerts() -> None:
    unsure = Identity(Status.UNCERTAIN, _old().title)
    judged = surprise.score(US_FILMS, WEEK, _movement(Move.NEW), unsure, Scores(), None)
    assert not judged.alertable
    assert ReasonCode.UNCERTAIN_MATCH in {r.code for r in judged.reasons}


def test_an_explained_entry_never_alerts_and_says_why() -> None:
    launch = Expected(Explanation.NEW_SEASON, "Season 3")
    judged = surprise.score(US_FILMS, WEEK, _movement(Move.NEW, 1), _old(), Scores(), launch)
    assert not judged.alertable and judged.score <= surprise.EXPECTED_CAP
    assert reason_text(judged.reasons[-1]) == "expected: a new season (Season 3)"


def test_a_long_absence_counts_and_a_short_one_does_not() -> None:
    long = _movement(Move.REENTRY, absent=20)
    short = _movement(Move.REENTRY, absent=2)
    back = surprise.score(US_FILMS, WEEK, long, _old(), Scores(), None)
    churn = surprise.score(US_FILMS, WEEK, short, _old(), Scores(), None)
    assert back.alertable and not churn.alertable and back.score > churn.score


def test_good_reviews_no_longer_veto_an_old_title_from_nowhere() -> None:
    good = Scores((Score(Metric.IMDB, 81, "8.1/10", "catalog", date(2022, 7, 1), 250_000),))
    judged = surprise.score(
        US_FILMS,
        WEEK,
        _movement(Move.NEW, 2),
        _old(licensed=Fact(True, REPORT, date(2023, 6, 30))),
        good,
        None,
    )
    assert surprise.is_surprise(judged, 60)


def test_a_score_from_few_votes_counts_half_and_says_so() -> None:
    def with_votes(votes: int) -> int:
        low = Scores((Score(Metric.IMDB, 29, "2.9/10", "catalog", date(2022, 7, 1), votes),))
        return surprise.score(US_FILMS, WEEK, _movement(Move.NEW), _old(), low, None).score

    assert with_votes(16) < with_votes(5_000)
    thin = Scores((Score(Metric.IMDB, 29, "2.9/10", "catalog", date(2022, 7, 1), 16),))
    judged = surprise.score(US_FILMS, WEEK, _movement(Move.NEW), _old(), thin, None)
    words = [reason_text(r) for r in judged.reasons]
    assert "IMDb 2.9/10 (16 votes, as of Jul 2022)" in words
    assert "scores rest on few votes (16), so they count for less" in words


def test_a_global_entry_from_nowhere_counts_more_than_a_country_one() -> None:
    old = _old(licensed=Fact(True, REPORT, date(2023, 6, 30)))
    key = ChartKey("GLOBAL", "films", "english")
    world = surprise.score(key, WEEK, _movement(Move.NEW, 5, ()), old, Scores(), None)
    many = surprise.score(
        US_FILMS, WEEK, _movement(Move.NEW, 5, ("US", "GB", "CA", "AU", "NZ")), old, Scores(), None
    )
    assert world.score > many.score
