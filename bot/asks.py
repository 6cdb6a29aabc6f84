"""What users ask: who asked where (Context) and the commands parsed from what they typed.

Frozen values only; bot/commands.py parses them, Core handles them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.models import Category, Language


@dataclass(frozen=True, slots=True)
class Context:
    """Who asked, and where. `is_admin` is the platform's fact (Manage Server, workspace admin)."""

    platform: str
    server_id: str
    channel_id: str
    user_id: str
    is_admin: bool = False
    locale: str = ""  # the asker's language as the platform says it ("pt-BR"), if it says
    server_locale: str = ""  # the server's language as the platform says it, if it says
    pictures: bool = True  # False where a picture could be neither shown nor saved (CLI answers)


@dataclass(frozen=True, slots=True)
class Trending:
    region: str | None = None
    category: Category = "films"
    week: date | None = None
    language: Language = ""


@dataclass(frozen=True, slots=True)
class Surprises:
    region: str | None = None
    week: date | None = None


@dataclass(frozen=True, slots=True)
class Watch:
    query: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class About:
    """/about: version, source, data credits, privacy, and this server's settings."""


@dataclass(frozen=True, slots=True)
class ConfigForget:
    """Erase this server's data; without `confirmed` it only says what would be erased."""

    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class ConfigShow:
    pass


@dataclass(frozen=True, slots=True)
class ConfigRegions:
    action: Literal["add", "remove", "list"]
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigChannel:
    channel_id: str


@dataclass(frozen=True, slots=True)
class ConfigThreshold:
    value: int


@dataclass(frozen=True, slots=True)
class ConfigCategories:
    categories: tuple[Category, ...]


@dataclass(frozen=True, slots=True)
class ConfigDigest:
    enabled: bool


@dataclass(frozen=True, slots=True)
class ConfigLanguage:
    """Pin the server's language (a shipped locale such as "pt_BR"), or "" for automatic."""

    language: str


@dataclass(frozen=True, slots=True)
class SettingsForm:
    """A whole settings form submitted from a UI (Slack App Home); None leaves a setting as is.

    `threshold_text` is a threshold typed that is not a whole number (the core refuses the form).
    """

    regions: tuple[str, ...] | None = None
    channel_id: str | None = None
    threshold: int | None = None
    categories: tuple[Category, ...] | None = None
    language: str | None = None  # a locale, "" for automatic
    threshold_text: str | None = None


AdminCommand = (
    ConfigShow
    | ConfigRegions
    | ConfigChannel
    | ConfigThreshold
    | ConfigCategories
    | ConfigDigest
    | ConfigLanguage
    | ConfigForget
)
Command = Trending | Surprises | Watch | Help | About | AdminCommand
ADMIN_COMMANDS = AdminCommand.__args__  # for isinstance(); the same classes as the union
