"""What users see: a neutral Card (title, text, fields, links, picture) each adapter renders.

Cards carry no platform markup; adapters map them to Discord embeds or Slack blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Tone(StrEnum):
    """The mood of a card; adapters map it to a colour."""

    INFO = "info"
    GOOD = "good"
    MILD = "mild"  # a small surprise
    SURPRISE = "surprise"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Image:
    filename: str
    data: bytes = field(repr=False)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """Everything one reply or alert says, with no platform markup."""

    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    tone: Tone = Tone.INFO
    links: tuple[Link, ...] = ()
    image: Image | None = None
    private: bool = False  # only the asker sees it (Discord ephemeral, Slack ephemeral response)

    @property
    def summary(self) -> str:
        """A one-line plain-text version, for notifications and fallbacks."""
        return f"{self.title} — {self.text}" if self.text else self.title

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (without the image) for the outbox and --json output."""
        return {
            "title": self.title,
            "text": self.text,
            "fields": [[f.label, f.value, f.inline] for f in self.fields],
            "footer": self.footer,
            "tone": self.tone.value,
            "links": [[link.label, link.url] for link in self.links],
            "private": self.private,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Card:
        return cls(
            title=str(data["title"]),
            text=str(data.get("text", "")),
            fields=tuple(Field(str(a), str(b), bool(c)) for a, b, c in data.get("fields", [])),
            footer=str(data.get("footer", "")),
            tone=Tone(data.get("tone", "info")),
            links=tuple(Link(str(a), str(b)) for a, b in data.get("links", [])),
            private=bool(data.get("private", False)),
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """One autocomplete suggestion: what the user sees and what gets sent back."""

    name: str
    value: str
