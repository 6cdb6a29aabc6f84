"""The plain-language line for each structured Reason the judgement gives (bot/judge → words).

Pure: one Reason in, one line out; what a reason means is decided in bot/judge, not here.
"""

from __future__ import annotations

from bot.models import Metric, Reason, ReasonCode
from bot.words.common import COUNT_WORDS, day, plural, score_text

_METRICS = {m.value for m in Metric}


def reason_text(reason: Reason) -> str:
    """One plain-language line per signal."""
    code, value, detail = reason.code, reason.value, reason.detail
    n = int(value) if value is not None else 0
    match code:
        case ReasonCode.OLD_TITLE:
            if value is None:
                return f"an older film ({detail}, judging by TMDB's yearly lists)"
            return f"{detail} release — {plural(n, 'year')} old"
        case ReasonCode.RECENT_TITLE:
            return f"recent title ({detail})"
        case ReasonCode.PREMIERE:
            return f"new release ({detail}) in its launch weeks — expected to chart"
        case ReasonCode.LOW_SCORE | ReasonCode.GOOD_SCORE:
            return score_text(value or 0.0, detail or "") + _score_note(reason)
        case ReasonCode.NO_SCORES:
            return "no review scores known"
        case ReasonCode.FEW_SCORES:
            return "only one review score known"
        case ReasonCode.NEW_ENTRY:
            return f"new this week at #{n}"
        case ReasonCode.REENTRY:
            if value is None:
                return f"back in the top 10 at #{detail}"
            return f"back at #{detail} after {plural(n, 'week')} away"
        case ReasonCode.HOLDING:
            return f"in the top 10 for {plural(n, 'week')}"
        case ReasonCode.MANY_REGIONS:
            if n == 0 and reason.points:
                return "in the global top 10"
            if n == 0:
                return "not charting in any country list"
            return f"also charting in {plural(n, 'other country', 'other countries')}"
        case ReasonCode.ONLY_HERE:
            return "charting only here"
        case ReasonCode.UNMATCHED:
            return "not found in the title catalog — age and reviews unknown"
        case ReasonCode.UNCERTAIN_MATCH:
            return f"catalog match uncertain (closest: {detail}) — no alert on a guess"
        case ReasonCode.CRITICS_AUDIENCE_GAP:
            side = "audiences like it more than critics" if n > 0 else "critics like it more"
            return f"{side} ({abs(n)} points apart)"
        case ReasonCode.CLIMBING:
            return f"climbing: ▲{n} to #{detail} this week"
        case ReasonCode.FALLING:
            return f"slipping: ▼{n} to #{detail} this week"
        case ReasonCode.LONG_RUN:
            return f"{plural(n, 'week')} in the top 10"
        case ReasonCode.NOT_CHARTING:
            return "not in this region's top 10 right now"
        case ReasonCode.EXPECTED:
            return "expected: " + expected_text(detail or "")
        case ReasonCode.NOT_EXPECTED:
            parts = (detail or "").split(";")
            return "not expected: " + "; ".join(_ruled_out(part) for part in parts)
        case ReasonCode.LICENSED:
            return "licensed, not a Netflix title"
        case ReasonCode.NETFLIX_BRANDED:
            return "a Netflix title"
        case ReasonCode.OBSCURE:
            return f"little known: {n:,} IMDb votes"
        case ReasonCode.THIN_EVIDENCE:
            return f"scores rest on few votes ({n:,}), so they count for less"
        case ReasonCode.NEW_RELEASE:
            return "a new release first seen this week (not in the title sources yet)"


_EXPECTED = {
    "netflix_launch": "a Netflix release ({})",
    "launch_pattern": "a new title launching in many places at once",
    "new_season": "a new season ({})",
    "recent_release": "a recent release ({}) arriving on Netflix",
    "franchise_launch": "something new in its franchise is out",
    "franchise_news": "a new film in its franchise came out this year",
    "seasonal": "a {} favourite in season",
}
_RULED_OUT = {
    "licensed": "not a Netflix release",
    "no_launch": "no Netflix launch",
    "no_new_season": "no new season",
}


def expected_text(detail: str) -> str:
    """'netflix_launch:2022-06-24' → 'a Netflix release (24 Jun 2022)'."""
    code, _, value = detail.partition(":")
    if code == "netflix_launch" and value:
        value = day(value)
    return _EXPECTED.get(code, code.replace("_", " ")).format(value)


def _ruled_out(part: str) -> str:
    code, _, value = part.partition(":")
    if code == "released":
        return f"released {value}"
    if code == "netflix":
        return f"a Netflix title from {day(value)}, long before this week"
    return _RULED_OUT.get(code, code.replace("_", " "))


def _score_note(reason: Reason) -> str:
    """', as of Jul 2022' for an old figure, ', 16 votes' for a thin one."""
    notes = []
    word = COUNT_WORDS.get(Metric(reason.detail), "vote") if reason.detail in _METRICS else "vote"
    if reason.votes is not None and reason.votes < 1_000:
        notes.append(plural(reason.votes, word.rstrip("s")))
    if reason.as_of is not None:
        notes.append(f"as of {reason.as_of.strftime('%b %Y')}")
    return f" ({', '.join(notes)})" if notes else ""
