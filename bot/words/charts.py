"""Answers about the lists: /trending, /surprises, channel alerts and the weekly digest.

Pure. Each entry is a Judged (movement, match, scores, surprise) from bot/judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.cards import Card, Field
from bot.judge.week import Judged
from bot.models import ChartKey, Movement
from bot.regions import region_label, region_name
from bot.words.common import (
    footer,
    headline_score,
    list_name,
    movement_mark,
    score_fields,
    scores_note,
    title_links,
    tone_for,
)
from bot.words.i18n import _, count, ngettext, number
from bot.words.reasons import reason_text

MAX_PLACES = 12  # places listed on an alert; the count says how many more


def trending_card(key: ChartKey, week: date, entries: Sequence[Judged], threshold: int) -> Card:
    fields = []
    for entry in entries:
        m = entry.movement
        name = f"#{m.rank} {movement_mark(m)} · {_title_line(m)}"
        if entry.surprise.alertable and entry.surprise.score >= threshold:
            name += " ⚡"
        bits = [count("{n} week in top 10", "{n} weeks in top 10", m.weeks_in_top10)]
        if m.regions:
            bits.append(count("{n} country", "{n} countries", len(m.regions)))
        best = headline_score(entry.scores)
        if best:
            bits.append(best)
        if entry.match.confident and entry.match.title is not None and entry.match.title.year:
            bits.append(str(entry.match.title.year))
        fields.append(Field(name, " · ".join(bits), inline=False))
    surprises = sum(1 for e in entries if e.surprise.alertable and e.surprise.score >= threshold)
    text = _("⚡ marks a surprise (score ≥ {threshold}).").format(threshold=threshold)
    return Card(
        title=_("Top 10 · {list}").format(list=list_name(key)),
        text=text if surprises else "",
        fields=tuple(fields),
        footer=footer(week),
    )


def alert_card(entry: Judged, *more: Judged) -> Card:
    """A channel alert: one surprising title, in one or several of the channel's lists.

    `entry` is the most surprising of its lists and gives the reasons; `more` are the same
    title's other surprising lists this week (one event, one alert).
    """
    m = entry.movement
    title = entry.match.title
    year = f" ({title.year})" if title and title.year else ""
    reasons = [reason_text(r) for r in entry.surprise.reasons]
    every = (entry, *more)
    if more:
        headline = _("⚡ A surprise in {count} of your lists: {title}").format(
            count=len(every), title=m.title + year
        )
        places = [f"{list_name(e.key)} #{e.movement.rank}" for e in every[:MAX_PLACES]]
        if len(every) > MAX_PLACES:
            places.append(_("and {count} more").format(count=len(every) - MAX_PLACES))
        text = _("{places} — surprise score up to {score}/100").format(
            places=", ".join(places), score=entry.surprise.score
        )
    else:
        headline = _("⚡ Surprise in {list}: {title}").format(
            list=list_name(entry.key), title=m.title + year
        )
        text = _("#{rank} {mark} — surprise score {score}/100").format(
            rank=m.rank, mark=movement_mark(m), score=entry.surprise.score
        )
    why = _("Why it's a surprise")
    return Card(
        title=headline,
        text=text,
        fields=(Field(why, "\n".join(f"• {r}" for r in reasons), False),)
        + score_fields(entry.scores),
        footer=footer(entry.week, scores_note(entry.scores)),
        tone=tone_for(entry.surprise.score),
        links=title_links(title),
    )


def surprises_card(region: str, week: date, entries: Sequence[Judged], threshold: int) -> Card:
    if not entries:
        return Card(
            title=_("No surprises in {region} this week").format(region=region_label(region)),
            text=_(
                "Nothing entered the top 10 with a surprise score of {threshold} or more."
            ).format(threshold=threshold),
            footer=footer(week),
        )
    fields = _surprise_fields(entries, reasons=4, separator="\n", bullet="• ")
    return Card(
        title=_("⚡ Surprises in {region}").format(region=region_label(region)),
        text=_this_week(len(entries), threshold),
        fields=fields,
        footer=footer(week),
        tone=tone_for(max(e.surprise.score for e in entries)),
    )


def digest_card(
    regions: Sequence[str], week: date, surprises: Sequence[Judged], threshold: int
) -> Card:
    """The opt-in weekly round-up for one server: its regions' surprises, biggest first."""
    names = ", ".join(region_name(r) for r in regions)
    if not surprises:
        return Card(
            title=_("Weekly digest · {regions}").format(regions=names),
            text=_("No surprises this week (threshold {threshold}).").format(threshold=threshold),
            footer=footer(week),
        )
    fields = _surprise_fields(surprises[:10], reasons=3, separator=" · ")
    return Card(
        title=_("Weekly digest · {regions}").format(regions=names),
        text=_this_week(len(surprises), threshold),
        fields=fields,
        footer=footer(week),
        tone=tone_for(max(e.surprise.score for e in surprises)),
    )


def _surprise_fields(
    entries: Sequence[Judged], *, reasons: int, separator: str, bullet: str = ""
) -> tuple[Field, ...]:
    """One field per surprising entry: where it charts, its score, its first reasons."""
    return tuple(
        Field(
            _("{title} — {list} #{rank} ({score}/100)").format(
                title=e.movement.title,
                list=list_name(e.key),
                rank=e.movement.rank,
                score=e.surprise.score,
            ),
            separator.join(f"{bullet}{reason_text(r)}" for r in e.surprise.reasons[:reasons]),
            inline=False,
        )
        for e in entries
    )


def _this_week(n: int, threshold: int) -> str:
    return ngettext(
        "{n} surprise this week (threshold {threshold}).",
        "{n} surprises this week (threshold {threshold}).",
        n,
    ).format(n=number(n), threshold=threshold)


def _title_line(movement: Movement) -> str:
    if movement.season and movement.season != movement.title:
        return movement.season
    return movement.title
