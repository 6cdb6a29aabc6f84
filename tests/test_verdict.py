"""Verdicts on real titles: scores, critic–audience gap, momentum; pick lists and suggestions."""

from __future__ import annotations

from datetime import date

from bot import verdict
from bot.asks import Context
from bot.core import Core
from bot.models import Advice, Metric, Move, Movement, ReasonCode, Score, Scores, Title
from bot.words.reasons import reason_text

ASKER = Context("test", "g", "c", "u")
TODAY = date(2022, 7, 1)
BACKTRACE = Title("tm414073", "Backtrace", "movie", 2018, "tt3588588")


def _scores(**values: float) -> Scores:
    return Scores(tuple(Score(Metric(k), v, f"{v}", "catalog", TODAY) for k, v in values.items()))


def test_backtrace_climbing_is_so_bad_its_good() -> None:
    climbing = Movement(5, "Backtrace", None, Move.UP, 8, 2, None, ("US",))
    judged = verdict.advise(BACKTRACE, _scores(imdb=38, rt_critics=11, rt_audience=23), climbing)
    assert judged.advice is Advice.SO_BAD_ITS_GOOD
    words = [reason_text(r) for r in judged.reasons]
    assert "climbing: ▲3 to #5 this week" in words
    assert "Rotten Tomatoes critics 11%" in words


def test_backtrace_not_charting_is_skip() -> None:
    judged = verdict.advise(BACKTRACE, _scores(imdb=38, rt_critics=11, rt_audience=23), None)
    assert judged.advice is Advice.SKIP
    assert ReasonCode.NOT_CHARTING in {r.code for r in judged.reasons}


def test_well_reviewed_is_watch_and_gap_is_explained() -> None:
    title = Title("x", "Crowd Pleaser", "movie", 2016)
    judged = verdict.advise(title, _scores(imdb=72, rt_critics=40, rt_audience=85), None)
    assert judged.advice is Advice.MAYBE
    gap = next(r for r in judged.reasons if r.code is ReasonCode.CRITICS_AUDIENCE_GAP)
    assert reason_text(gap) == "audiences like it more than critics (45 points apart)"
    great = verdict.advise(title, _scores(imdb=85, rt_critics=95), None)
    assert great.advice is Advice.WATCH


def test_no_scores_is_maybe_and_says_so() -> None:
    judged = verdict.advise(Title("y", "Unknown", "show", None), Scores(), None)
    assert judged.advice is Advice.MAYBE
    assert ReasonCode.NO_SCORES in {r.code for r in judged.reasons}
    assert len(judged.reasons) >= 2


async def test_ambiguous_titles_get_a_pick_list_with_years(core: Core) -> None:
    card = await core.run("watch", {"title": "Cowboy Bebop"}, ASKER)
    assert card.title == "Which “Cowboy Bebop” do you mean?"
    assert "Cowboy Bebop (2021, series)" in card.fields[0].value
    assert "Cowboy Bebop (1998, series)" in card.fields[0].value
    chosen = await core.run("watch", {"title": "Cowboy Bebop 1998"}, ASKER)
    assert chosen.title == "Should you watch Cowboy Bebop (1998)?"


async def test_unknown_titles_get_suggestions(core: Core) -> None:
    sure = await core.run("watch", {"title": "The Man From Torontoo"}, ASKER)
    assert sure.title == "Should you watch The Man from Toronto (2022)?"
    assert (await core.run("watch", {"title": "Backtrac"}, ASKER)).title.startswith(
        "Should you watch Backtrace"
    )
    # two letters off: too far to be sure, so suggestions instead of a guess
    unsure = await core.run("watch", {"title": "Backtrak"}, ASKER)
    assert unsure.title == "I don't know “Backtrak”" and unsure.private
    assert unsure.fields[0].value.startswith("• Backtrace (2018, film)")
    card = await core.run("watch", {"title": "Zyxwv Qqq"}, ASKER)
    assert card.title == "I don't know “Zyxwv Qqq”" and card.private


async def test_a_charted_title_outside_the_catalog_still_gets_an_answer(core: Core) -> None:
    card = await core.run(
        "watch",
        {"title": "Running with the Devil: The Wild World of John McAfee", "region": "US"},
        ASKER,
    )
    assert card.title.startswith("Should you watch Running with the Devil")
    assert "no review scores known" in card.fields[0].value
