"""Answers to "should I watch X?": the verdict, the pick list for a shared name, not found.

Pure. The verdict itself (advice and reasons) comes from bot/verdict.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.models import GLOBAL, Advice, Card, Field, Image, Title, Tone, Verdict
from bot.regions import region_name
from bot.words.common import (
    clip,
    footer,
    score_fields,
    scores_note,
    title_links,
    title_with_year,
)
from bot.words.reasons import reason_text

_ADVICE = {
    Advice.WATCH: ("Watch it", Tone.GOOD),
    Advice.MAYBE: ("Maybe", Tone.INFO),
    Advice.SKIP: ("Skip it", Tone.WARNING),
    Advice.SO_BAD_ITS_GOOD: ("So bad it's good", Tone.SURPRISE),
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
    kind = "film" if title.kind == "movie" else "series"
    reasons = "\n".join(f"• {reason_text(r)}" for r in verdict.reasons)
    text = f"{label}. A {title.year} {kind}" if title.year else f"{label}. A {kind}"
    if description:
        text += f" — {clip(description, 300)}"
    where = region_name(region) if region != GLOBAL else "worldwide"
    return Card(
        title=f"Should you watch {title.name}{year}?",
        text=text,
        fields=(Field(f"Why ({where})", reasons, False),) + score_fields(verdict.scores),
        footer=footer(week, scores_note(verdict.scores)) if week else scores_note(verdict.scores),
        tone=tone,
        links=title_links(title),
        image=image,
    )


def pick_card(query: str, candidates: Sequence[Title]) -> Card:
    lines = [f"• {title_with_year(t)}" for t in candidates]
    return Card(
        title=f"Which “{clip(query, 60)}” do you mean?",
        text="Several titles share that name. Ask again with the year, e.g. “"
        + title_with_year(candidates[0])
        + "”.",
        fields=(Field("Candidates", "\n".join(lines), False),),
        private=True,
    )


def not_found_card(query: str, suggestions: Sequence[Title]) -> Card:
    fields: tuple[Field, ...] = ()
    if suggestions:
        fields = (
            Field(
                "Did you mean",
                "\n".join(f"• {title_with_year(t)}" for t in suggestions),
                False,
            ),
        )
    return Card(
        title=f"I don't know “{clip(query, 60)}”",
        text="It isn't in the title catalog or any chart I hold."
        + (" Close matches are below." if suggestions else " Check the spelling?"),
        fields=fields,
        tone=Tone.WARNING,
        private=True,
    )
