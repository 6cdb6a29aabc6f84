"""Card → Discord message parts: embed, link buttons and PNG attachment, within Discord's limits.

Formatting only. Every word comes from the Card; this module places, colours and clips it (with "…")
so a message never breaks a Discord limit. It never invents text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.cards import Card, Choice, Image, Link, Tone

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
BUTTON_LABEL_MAX = 80
BUTTONS_MAX = 25  # 5 action rows × 5 buttons
URL_MAX = 512
CHOICES_MAX = 25
CHOICE_MAX = 100
ELLIPSIS = "…"
BLANK = "\u200b"  # Discord rejects empty field names and values

COLOURS = {
    Tone.INFO: discord.Colour(0x5865F2),
    Tone.GOOD: discord.Colour(0x57F287),
    Tone.MILD: discord.Colour(0xFEE75C),
    Tone.SURPRISE: discord.Colour(0xEB459E),
    Tone.WARNING: discord.Colour(0xE67E22),
    Tone.ERROR: discord.Colour(0xED4245),
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A Card laid out for Discord; `kwargs()` feeds send_message, followup.send or channel.send."""

    embed: discord.Embed
    links: tuple[Link, ...]
    image: Image | None
    filename: str | None
    ephemeral: bool

    def kwargs(self) -> dict[str, Any]:
        """Fresh send arguments (a File is consumed by each send, a View needs a running loop)."""
        kwargs: dict[str, Any] = {"embed": self.embed}
        if self.links:
            view = discord.ui.View(timeout=None)
            for link in self.links:
                view.add_item(discord.ui.Button(label=link.label, url=link.url))
            kwargs["view"] = view
        if self.image is not None and self.filename is not None:
            kwargs["file"] = discord.File(
                io.BytesIO(self.image.data),
                filename=self.filename,
                description=clip(self.image.description, 1024) or None,
            )
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Arguments for editing a deferred response into this card (files go as attachments)."""
        kwargs = self.kwargs()
        file = kwargs.pop("file", None)
        if file is not None:
            kwargs["attachments"] = [file]
        return kwargs


def render(card: Card) -> Rendered:
    """Lay a Card out as an embed, with link buttons and the picture attached."""
    embed = to_embed(card)
    filename = None
    if card.image is not None:
        filename = safe_filename(card.image.filename)
        embed.set_image(url=f"attachment://{filename}")
    links = tuple(
        Link(clip(link.label, BUTTON_LABEL_MAX), link.url)
        for link in card.links
        if link.label.strip() and _is_web_url(link.url)
    )[:BUTTONS_MAX]
    return Rendered(embed, links, card.image, filename, card.private)


def to_embed(card: Card) -> discord.Embed:
    """Title, text, fields and footer, each clipped to its limit and all within 6,000 characters."""
    title = clip(card.title, TITLE_MAX)
    footer = clip(card.footer, FOOTER_MAX)
    budget = EMBED_TOTAL_MAX - len(title) - len(footer)
    fields_need = sum(len(f.label) + len(f.value) for f in card.fields[:FIELDS_MAX])
    # a huge text may take at most half of what is left when the fields need the rest
    description = clip(
        card.text, max(0, min(DESCRIPTION_MAX, budget - min(fields_need, budget // 2)))
    )
    budget -= len(description)
    embed = discord.Embed(
        title=title or None,
        description=description or None,
        colour=COLOURS.get(card.tone, COLOURS[Tone.INFO]),
    )
    for field in card.fields[:FIELDS_MAX]:
        name = clip(field.label, FIELD_NAME_MAX) or BLANK
        room = min(FIELD_VALUE_MAX, budget - len(name))
        if room < min(len(field.value), 16) or room < 1:
            break  # out of room: stop at a whole field rather than a shred of one
        value = clip(field.value, room) or BLANK
        embed.add_field(name=name, value=value, inline=field.inline)
        budget -= len(name) + len(value)
    if footer:
        embed.set_footer(text=footer)
    return embed


def to_choices(choices: Sequence[Choice]) -> list[app_commands.Choice[str]]:
    """Core autocomplete choices as Discord's: at most 25, names and values 1–100 characters."""
    found = []
    for choice in choices:
        name, value = clip(choice.name, CHOICE_MAX), choice.value
        if name and 0 < len(value) <= CHOICE_MAX:
            found.append(app_commands.Choice(name=name, value=value))
    return found[:CHOICES_MAX]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, at a line or word break when one is near, ending in …."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    for sep in ("\n", " "):
        at = cut.rfind(sep)
        if at >= len(cut) * 0.8:
            cut = cut[:at]
            break
    return cut.rstrip() + ELLIPSIS


def safe_filename(name: str) -> str:
    """A filename `attachment://` can reference: ASCII letters, digits, dot, dash, underscore."""
    cleaned = _UNSAFE_FILENAME.sub("-", name).strip("-.")[:100]
    return cleaned or "image.png"


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= URL_MAX and " " not in url
