"""The plain-language line for each structured Reason the judgement gives (bot/judge → words).

Pure: one Reason in, one line out, in the language in force; what a reason means is decided in
bot/judge, not here.
"""

from __future__ import annotations

import re

from bot.models import Metric, Reason, ReasonCode
from bot.words.common import score_text, votes_text
from bot.words.i18n import N_, _, count, iso_day, month, number

_METRICS = {m.value for m in Metric}


def reason_text(reason: Reason) -> str:
    """One plain-language line per signal."""
    code, value, detail = reason.code, reason.value, reason.detail
    n = int(value) if value is not None else 0
    match code:
        case ReasonCode.OLD_TITLE:
            if value is None:
                return _("an older film ({era}, judging by TMDB's yearly lists)").format(
                    era=_era(detail or "")
                )
            return _("{year} release — {age} old").format(
                year=detail, age=count("{n} year", "{n} years", n)
            )
        case ReasonCode.RECENT_TITLE:
            return _("recent title ({year})").format(year=detail)
        case ReasonCode.PREMIERE:
            return _("new release ({when}) in its launch weeks — expected to chart").format(
                when=iso_day(detail or "")
            )
        case ReasonCode.LOW_SCORE | ReasonCode.GOOD_SCORE:
            return score_text(value or 0.0, detail or "") + _score_note(reason)
        case ReasonCode.NO_SCORES:
            return _("no review scores known")
        case ReasonCode.FEW_SCORES:
            return _("only one review score known")
        case ReasonCode.NEW_ENTRY:
            return _("new this week at #{rank}").format(rank=n)
        case ReasonCode.REENTRY:
            if value is None:
                return _("back in the top 10 at #{rank}").format(rank=detail)
            return _("back at #{rank} after {weeks} away").format(
                rank=detail, weeks=count("{n} week", "{n} weeks", n)
            )
        case ReasonCode.HOLDING:
            return _("in the top 10 for {weeks}").format(weeks=count("{n} week", "{n} weeks", n))
        case ReasonCode.MANY_REGIONS:
            if n == 0 and reason.points:
                return _("in the global top 10")
            if n == 0:
                return _("not charting in any country list")
            return count(
                "also charting in {n} other country", "also charting in {n} other countries", n
            )
        case ReasonCode.ONLY_HERE:
            return _("charting only here")
        case ReasonCode.UNMATCHED:
            return _("not found in the title catalog — age and reviews unknown")
        case ReasonCode.UNCERTAIN_MATCH:
            return _("catalog match uncertain (closest: {title}) — no alert on a guess").format(
                title=detail
            )
        case ReasonCode.CRITICS_AUDIENCE_GAP:
            if n > 0:
                return _("audiences like it more than critics ({points} points apart)").format(
                    points=abs(n)
                )
            return _("critics like it more ({points} points apart)").format(points=abs(n))
        case ReasonCode.CLIMBING:
            return _("climbing: ▲{change} to #{rank} this week").format(change=n, rank=detail)
        case ReasonCode.FALLING:
            return _("slipping: ▼{change} to #{rank} this week").format(change=n, rank=detail)
        case ReasonCode.LONG_RUN:
            return count("{n} week in the top 10", "{n} weeks in the top 10", n)
        case ReasonCode.NOT_CHARTING:
            return _("not in this region's top 10 right now")
        case ReasonCode.EXPECTED:
            return _("expected: {why}").format(why=expected_text(detail or ""))
        case ReasonCode.NOT_EXPECTED:
            parts = (detail or "").split(";")
            return _("not expected: {why}").format(why="; ".join(_ruled_out(p) for p in parts))
        case ReasonCode.LICENSED:
            return _("licensed, not a Netflix title")
        case ReasonCode.NETFLIX_BRANDED:
            return _("a Netflix title")
        case ReasonCode.OBSCURE:
            return _("little known: {votes} IMDb votes").format(votes=number(n))
        case ReasonCode.FAMOUS:
            return _("widely known: {votes} IMDb votes").format(votes=number(n))
        case ReasonCode.THIN_EVIDENCE:
            return _("scores rest on few votes ({votes}), so they count for less").format(
                votes=number(n)
            )
        case ReasonCode.NEW_RELEASE:
            return _("a new release first seen this week (not in the title sources yet)")


_EXPECTED = {
    "netflix_launch": N_("a Netflix release ({when})"),
    "launch_pattern": N_("a new title launching in many places at once"),
    "new_season": N_("a new season ({season})"),
    "recent_release": N_("a recent release ({year}) arriving on Netflix"),
    "franchise_launch": N_("something new in its franchise is out"),
    "franchise_news": N_("a new film in its franchise came out this year"),
    "seasonal": N_("a {season} favourite in season"),
}
_SEASONS = {"christmas": N_("Christmas"), "halloween": N_("Halloween"), "easter": N_("Easter")}
_RULED_OUT = {
    "licensed": N_("not a Netflix release"),
    "no_launch": N_("no Netflix launch"),
    "no_new_season": N_("no new season"),
}


def expected_text(detail: str) -> str:
    """'netflix_launch:2022-06-24' → 'a Netflix release (24 Jun 2022)'."""
    code, _sep, value = detail.partition(":")
    if code not in _EXPECTED:
        return code.replace("_", " ")
    season = _(_SEASONS[value]) if value in _SEASONS else value
    return _(_EXPECTED[code]).format(when=iso_day(value), season=season, year=value)


def _ruled_out(part: str) -> str:
    code, _sep, value = part.partition(":")
    if code == "released":
        return _("released {year}").format(year=value)
    if code == "netflix":
        return _("a Netflix title from {when}, long before this week").format(when=iso_day(value))
    return _(_RULED_OUT[code]) if code in _RULED_OUT else code.replace("_", " ")


def _era(text: str) -> str:
    """The title books' "before 2010" in the language in force."""
    found = re.fullmatch(r"before (\d{4})", text)
    return _("before {year}").format(year=found.group(1)) if found else text


def _score_note(reason: Reason) -> str:
    """' (as of Jul 2022)' for an old figure, ' (16 votes)' for a thin one."""
    notes = []
    metric = Metric(reason.detail) if reason.detail in _METRICS else None
    if reason.votes is not None and reason.votes < 1_000:
        notes.append(votes_text(metric, reason.votes))
    if reason.as_of is not None:
        notes.append(_("as of {month}").format(month=month(reason.as_of)))
    return f" ({', '.join(notes)})" if notes else ""
