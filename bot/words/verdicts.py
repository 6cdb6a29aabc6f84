"""Answers to "should I watch X?": the verdict, the pick list for a shared name, not found.

Pure. The verdict itself (advice and reasons) comes from bot/verdict.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.cards import Card, Field, Image, Tone
from bot.models import GLOBAL, Advice, Title, Verdict
from bot.regions import region_name
from bot.words.common import (
    clip,
    footer,
    score_fields,
    scores_note,
    title_links,
    title_with_year,
)
from bot.words.i18n import N_, _
from bot.words.reasons import reason_text

_ADVICE = {
    Advice.WATCH: (N_("Watch it"), Tone.GOOD),
    Advice.MAYBE: (N_("Maybe"), Tone.INFO),
    Advice.SKIP: (N_("Skip it"), Tone.WARNING),
    Advice.SO_BAD_ITS_GOOD: (N_("So bad it's good"), Tone.SURPRISE),
}


def verdict_card(
    verdict: Verdict,
    region: str,
    week: date | None,
    description: str = "",
    image: Image | None = None,
) -> Card:
    label, tone = _ADVICE[verdict.advice]
    title = verdict.title
    year = f" ({title.year})" if title.year else ""
    reasons = "\n".join(f"• {reason_text(r)}" for r in verdict.reasons)
    film = title.kind == "movie"
    if title.year:  # one message per kind: articles and adjectives agree with the noun
        what = _("{advice}. A {year} film") if film else _("{advice}. A {year} series")
    else:
        what = _("{advice}. A film") if film else _("{advice}. A series")
    text = what.format(advice=_(label), year=title.year)
    if description:  # the catalog's synopsis is English: it is quoted, not translated
        text += f" — {clip(description, 300)}"
    where = region_name(region) if region != GLOBAL else _("worldwide")
    note = scores_note(verdict.scores)
    return Card(
        title=_("Should you watch {title}?").format(title=title.name + year),
        text=text,
        fields=(Field(_("Why ({where})").format(where=where), reasons, False),)
        + score_fields(verdict.scores),
        footer=footer(week, note) if week else note,
        tone=tone,
        links=title_links(title),
        image=image,
    )


def pick_card(query: str, candidates: Sequence[Title]) -> Card:
    lines = [f"• {title_with_year(t)}" for t in candidates]
    return Card(
        title=_("Which “{query}” do you mean?").format(query=clip(query, 60)),
        text=_("Several titles share that name. Ask again with the year, e.g. “{example}”.").format(
            example=title_with_year(candidates[0])
        ),
        fields=(Field(_("Candidates"), "\n".join(lines), False),),
        private=True,
    )


def not_found_card(query: str, suggestions: Sequence[Title]) -> Card:
    fields: tuple[Field, ...] = ()
    if suggestions:
        fields = (
            Field(
                _("Did you mean"),
                "\n".join(f"• {title_with_year(t)}" for t in suggestions),
                False,
            ),
        )
    hint = _("Close matches are below.") if suggestions else _("Check the spelling?")
    return Card(
        title=_("I don't know “{query}”").format(query=clip(query, 60)),
        text=_("It isn't in the title catalog or any chart I hold.") + " " + hint,
        fields=fields,
        tone=Tone.WARNING,
        private=True,
    )
