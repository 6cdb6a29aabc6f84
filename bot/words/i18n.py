"""Which language trendbot speaks, and the tools that speak it: the shipped locales, choosing one
from what the platforms say, gettext catalogs (bot/words/locales) and Babel's numbers and dates.

The language in force is a context variable, as in Red-DiscordBot: the Core sets it once around
each answer or alert (`speaking`), and every word below reads it. So a parser deep in the core
words its error in the asker's language without a locale threaded through every call. Outside
`speaking` everything is English, the language the messages are written in.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.numbers import format_decimal, format_percent

DOMAIN = "trendbot"
LOCALE_DIR = Path(__file__).parent / "locales"
SOURCE = "en"  # the language msgids are written in; it needs no catalog
LOCALES = ("en", "es", "pt_BR", "fr", "de")
# English figures and dates follow en_GB's CLDR data ("24 Jun 2022", "1,234"), as before
_FORMATS = {"en": "en_GB"}

_speaking: ContextVar[str] = ContextVar("trendbot_locale", default=SOURCE)


@contextmanager
def speaking(locale: str) -> Iterator[str]:
    """Speak `locale` (a shipped one; anything else means English) inside the block."""
    chosen = locale if locale in LOCALES else SOURCE
    token = _speaking.set(chosen)
    try:
        yield chosen
    finally:
        _speaking.reset(token)


def current() -> str:
    return _speaking.get()


def negotiate(tag: str | None) -> str | None:
    """The shipped locale for a platform's language tag, or None when we do not speak it.

    Discord says "pt-BR", "es-ES", "es-419"; Slack "pt-BR", "es-LA", "fr-FR"; people type "de"
    or "pt_BR". The exact locale wins, else the same language (Portugal's pt → pt_BR).
    """
    if not tag:
        return None
    parts = re.split(r"[-_]", tag.strip())
    language = parts[0].casefold()
    territory = parts[1].upper() if len(parts) > 1 else ""
    if f"{language}_{territory}" in LOCALES:
        return f"{language}_{territory}"
    same = [loc for loc in LOCALES if loc.split("_")[0] == language]
    return same[0] if same else None


def choose(*tags: str | None) -> str:
    """The first of `tags` (most wanted first) that trendbot speaks; English otherwise."""
    for tag in tags:
        found = negotiate(tag)
        if found is not None:
            return found
    return SOURCE


def tag(locale: str) -> str:
    """BCP 47 spelling for people and platforms: pt_BR → pt-BR."""
    return locale.replace("_", "-")


def language_name(locale: str) -> str:
    """A language's own name for itself ("Português (Brasil)"), from CLDR."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    if locale == SOURCE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def _(message: str) -> str:
    """`message` in the language in force."""
    return _catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` things in the language in force."""
    return _catalog(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks a message for the catalogs where it is defined; `_` translates it where shown."""
    return message


def translate(message: str, locale: str) -> str:
    """`message` in a given locale, for texts a platform asks for per language (Discord's
    command descriptions)."""
    with speaking(locale):
        return _(message)


def count(singular: str, plural: str, n: int) -> str:
    """ "3 weeks", "1 semana": the plural form for n with n written the local way ({n})."""
    return ngettext(singular, plural, n).format(n=number(n))


# ---- numbers and dates (Babel) -------------------------------------------------------------


def _babel() -> str:
    return _FORMATS.get(current(), current())


# Babel's formatting is pure and costly (~90 µs a number, a Locale parse each time), and answers
# repeat the same ranks, votes, scores and weeks: each result is kept per locale.


@lru_cache(maxsize=8192)
def _decimal(value: float, pattern: str | None, locale: str) -> str:
    return format_decimal(value, format=pattern, locale=locale)


@lru_cache(maxsize=4096)
def _skeleton(skeleton: str, when: date, locale: str) -> str:
    return format_skeleton(skeleton, when, locale=locale)


@lru_cache(maxsize=1024)
def _percent(value: float, locale: str) -> str:
    return format_percent(value, locale=locale)


def number(n: int) -> str:
    """1234 → "1,234", "1.234", "1 234" (with the locale's own spaces)."""
    return _decimal(n, None, _babel())


def decimal(x: float, digits: int = 1) -> str:
    """6.4 → "6.4" or "6,4"."""
    return _decimal(x, "0." + "0" * digits, _babel())


def percent(value: float) -> str:
    """A 0–100 score as the locale writes percentages: "9%", "9 %"."""
    return _percent(value / 100, _babel())


def day(when: date) -> str:
    """24 Jun 2022, 24 jun 2022, 24. Juni 2022 …"""
    return _skeleton("yMMMd", when, _babel())


def month(when: date) -> str:
    """Jul 2022, juil. 2022, Juli 2022 …"""
    return _skeleton("yMMM", when, _babel())


def weekday(when: date) -> str:
    """Tue 28 Jun, mar 28 jun, Di., 28. Juni …"""
    return _skeleton("MMMEd", when, _babel())


def short_day(when: date) -> str:
    """28 Jun, 28 juin, 28. Juni …"""
    return _skeleton("MMMd", when, _babel())


def clock(when: datetime) -> str:
    """16:00 (24-hour in every shipped locale)."""
    return format_datetime(when, "HH:mm", locale=_babel())


def iso_day(text: str) -> str:
    """An ISO date from the judgement ('2022-06-24') as a local date; other text as it is."""
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return text
