"""Surprise on real rows: Backtrace (2018, IMDb 3.8, new at #8) is one; The Man from Toronto
(released that week) is not; holding entries never alert; an unsure match never alerts."""

from __future__ import annotations

from datetime import date

import pytest

from bot import render, surprise
from bot.core import Core
from bot.models import ChartKey, Match, MatchMethod, Move, Movement, ReasonCode, Scores, Title

US_FILMS = ChartKey("US", "films")
WEEK = date(2022, 6, 26)


@pytest.fixture
async def us_week(core: Core) -> dict[str, object]:
    entries = await core.analyst.chart(US_FILMS, WEEK)
    assert entries is not None
    return {e.movement.title: e for e in entries}


async def test_backtrace_is_a_surprise_with_plain_reasons(us_week) -> None:
    backtrace = us_week["Backtrace"]
    assert surprise.is_surprise(backtrace.surprise, 60)
    assert backtrace.surprise.score >= 75
    codes = {r.code for r in backtrace.surprise.reasons}
    assert {ReasonCode.NEW_ENTRY, ReasonCode.OLD_TITLE, ReasonCode.LOW_SCORE} <= codes
    words = [render.reason_text(r) for r in backtrace.surprise.reasons]
    assert "2018 release — 4 years old" in words
    assert "IMDb 3.8/10" in words
    assert "new this week at #8" in words


async def test_the_man_from_toronto_is_the_expected_case(us_week) -> None:
    toronto = us_week["The Man from Toronto"]
    assert not surprise.is_surprise(toronto.surprise, 0)
    assert toronto.surprise.score <= surprise.PREMIERE_CAP
    assert ReasonCode.PREMIERE in {r.code for r in toronto.surprise.reasons}
    assert len(toronto.surprise.reasons) >= 2


async def test_every_entry_has_a_score_and_two_reasons(us_week) -> None:
    for entry in us_week.values():
        assert 0 <= entry.surprise.score <= 100
        assert len(entry.surprise.reasons) >= 2
        assert all(render.reason_text(r) for r in entry.surprise.reasons)


async def test_only_backtrace_alerts_in_the_us_that_week(us_week) -> None:
    alerting = sorted(t for t, e in us_week.items() if surprise.is_surprise(e.surprise, 60))
    assert alerting == ["Backtrace"]


def _movement(move: Move, rank: int = 5, regions: tuple[str, ...] = ("US",)) -> Movement:
    return Movement(rank, "X", None, move, None if move is Move.NEW else 7, 3, None, regions)


OLD = Title("t1", "X", "movie", 2001)


def test_a_holding_title_is_capped_and_never_alerts() -> None:
    m = _movement(Move.UP)
    judged = surprise.score(US_FILMS, WEEK, m, Match("X", OLD, 100, MatchMethod.EXACT), Scores())
    assert judged.score <= surprise.HOLDING_CAP and not judged.alertable


def test_a_low_confidence_match_never_alerts() -> None:
    unsure = Match("X", OLD, 70, MatchMethod.EXACT)
    judged = surprise.score(US_FILMS, WEEK, _movement(Move.NEW), unsure, Scores())
    assert not judged.alertable
    assert ReasonCode.UNCERTAIN_MATCH in {r.code for r in judged.reasons}


def test_a_long_absence_counts_more_than_a_short_one() -> None:
    matched = Match("X", OLD, 100, MatchMethod.EXACT)
    long = Movement(5, "X", None, Move.REENTRY, None, 4, 20, ("US",))
    short = Movement(5, "X", None, Move.REENTRY, None, 4, 2, ("US",))
    assert (
        surprise.score(US_FILMS, WEEK, long, matched, Scores()).score
        > surprise.score(US_FILMS, WEEK, short, matched, Scores()).score
    )
