"""What users type → Command: slash options, text arguments (Slack, console) and free questions.

Pure. Every bad input raises UserError with a message that says what to type instead.
Command names are the same on every platform: trending, surprises, watch, help, config ….
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from bot.asks import (
    About,
    Command,
    ConfigCategories,
    ConfigChannel,
    ConfigDigest,
    ConfigForget,
    ConfigLanguage,
    ConfigRegions,
    ConfigShow,
    ConfigThreshold,
    Help,
    Surprises,
    Trending,
    Watch,
)
from bot.errors import UserError
from bot.models import CATEGORIES, Category, Language
from bot.words.i18n import LOCALES, _, language_name, negotiate, tag

MAX_QUERY = 200  # longest real titles are ~110 characters
MAX_INPUT = 4000
CONFIG_ACTIONS = (
    "regions add",
    "regions remove",
    "regions list",
    "channel",
    "threshold",
    "categories",
    "digest",
    "language",
    "show",
    "forget",
)
COMMAND_NAMES = ("trending", "surprises", "watch", "help", "about") + tuple(
    f"config {action}" for action in CONFIG_ACTIONS
)
_CATEGORY_WORDS: dict[str, Category] = {
    "film": "films", "films": "films", "movie": "films", "movies": "films",
    "tv": "tv", "show": "tv", "shows": "tv", "series": "tv", "television": "tv",
}  # fmt: skip
_LANGUAGE_WORDS: dict[str, Language] = {
    "english": "english", "en": "english",
    "non-english": "non-english", "nonenglish": "non-english", "non_english": "non-english",
}  # fmt: skip
_CHANNEL_MENTION = re.compile(r"<#([A-Z0-9]+|\d+)(?:\|[^>]*)?>")
_CHANNEL_ID = re.compile(r"[A-Za-z0-9_.-]{1,80}")
_QUESTION = re.compile(
    r"""^(?:hey\s+|so\s+|ok\s+|okay\s+)?(?:
        (?:should|shall|do\s+you\s+think)\s+i\s+(?:watch|see|stream|try)\s+(?P<a>.+?)
      | (?:is|are)\s+(?P<b>.+?)\s+(?:any\s+good|good|worth\s+(?:it|watching|a\s+watch)|watchable)
      | (?:what\s+about|how\s+about|thoughts\s+on|verdict\s+on|review)\s+(?P<c>.+?)
      | (?:watch)\s+(?P<d>.+?)
      | ¿?\s*(?:debería|deberia|debo)\s+ver\s+(?P<e>.+?)
      | (?:devo|deveria)\s+(?:assistir|ver)\s+(?:a\s+)?(?P<f>.+?)
      | (?:dois-je|devrais-je|je\s+dois|je\s+devrais)\s+(?:regarder|voir)\s+(?P<g>.+?)
      | soll(?:te)?\s+ich\s+(?:mir\s+)?(?P<h>.+?)\s+(?:schauen|ansehen|anschauen|gucken|sehen)
    )\s*(?:\?+|!+|\.)?\s*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# a question's words with no title ("should I watch ?", "is any good?"); a bare "Review" or
# "Watch" without a question mark may be a title
_TITLELESS = re.compile(
    r"""^(?:hey\s+|so\s+|ok\s+|okay\s+)?(?:
        (?:should|shall|do\s+you\s+think)\s+i\s+(?:watch|see|stream|try)[\s?!.,:]*
      | (?:is|are|what\s+about|how\s+about|thoughts\s+on|verdict\s+on|review|watch)
        (?:\s+(?:any\s+good|good|worth\s+(?:it|watching|a\s+watch)|watchable))?
        \s*\?[\s?!.,:]*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_MENTION = re.compile(r"<@!?[A-Z0-9]+>|<@&\d+>")
_WEEK = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse(name: str, options: Mapping[str, object]) -> Command:
    """Build a Command from a slash command name and its structured options."""
    name = " ".join(name.casefold().split())
    opts = {k: _opt(v) for k, v in options.items()}
    if name == "trending":
        category, language = _category(opts.get("category"))
        return Trending(
            region=opts.get("region") or None,
            category=category,
            week=_week(opts.get("week")),
            language=_language(opts.get("language")) or language,
        )
    if name == "surprises":
        return Surprises(region=opts.get("region") or None, week=_week(opts.get("week")))
    if name == "watch":
        return Watch(query=clean_query(opts.get("title", "")), region=opts.get("region") or None)
    if name == "help":
        return Help()
    if name == "about":
        return About()
    if name in ("config regions add", "config regions remove"):
        regions = _split(opts.get("regions", ""))
        if not regions:
            raise UserError(_("Name at least one region, e.g. `US, GB` or `United Kingdom`."))
        return ConfigRegions("add" if name.endswith("add") else "remove", regions)
    if name == "config regions list":
        return ConfigRegions("list")
    if name == "config channel":
        return ConfigChannel(_channel(opts.get("channel", "")))
    if name == "config threshold":
        return ConfigThreshold(_threshold(opts.get("value", "")))
    if name == "config categories":
        return ConfigCategories(_categories(opts.get("categories", "")))
    if name == "config digest":
        return ConfigDigest(_on_off(opts.get("value", "")))
    if name == "config language":
        return ConfigLanguage(parse_language(opts.get("language", "") or opts.get("value", "")))
    if name in ("config show", "config"):
        return ConfigShow()
    if name == "config forget":
        return ConfigForget(_confirmed(opts.get("confirm", "")))
    raise _unknown(name)


@lru_cache(maxsize=1024)  # pure; people repeat the same few commands (errors are not kept)
def parse_text(name: str, text: str) -> Command:
    """Build a Command from a command name and free-form arguments, as Slack and the console send.

    E.g. `trending US tv 2022-06-26`, `watch Backtrace`, `config regions add US GB`.
    """
    if len(text) > MAX_INPUT:
        raise UserError(
            _("That is too long ({length} characters); keep it under {limit}.").format(
                length=len(text), limit=MAX_INPUT
            )
        )
    name = " ".join(name.casefold().split()).lstrip("/")
    words = text.split()
    if name in ("trending", "surprises"):
        options: dict[str, str] = {}
        rest = []
        for word in words:
            folded = word.casefold()
            if folded in _CATEGORY_WORDS and name == "trending":
                options["category"] = folded
            elif folded in _LANGUAGE_WORDS and name == "trending":
                options["language"] = folded
            elif _WEEK.fullmatch(word):
                options["week"] = word
            else:
                rest.append(word)
        if rest:
            options["region"] = " ".join(rest)
        return parse(name, options)
    if name == "watch":
        return parse("watch", {"title": text})
    if name == "help":
        return Help()
    if name == "about":
        return About()
    if name in ("config", "trendbot-config"):
        return _parse_config_text(words)
    raise _unknown(name)


def _unknown(name: str) -> UserError:
    return UserError(
        _("Unknown command “{name}”. Try help to see what I can do.").format(name=_short(name))
    )


def _parse_config_text(words: list[str]) -> Command:
    if not words:
        return ConfigShow()
    head = words[0].casefold()
    rest = words[1:]
    if head == "regions":
        action = rest[0].casefold() if rest else "list"
        if action not in ("add", "remove", "list"):
            raise UserError(_("Use `config regions add US GB`, `… remove US` or `… list`."))
        return parse(f"config regions {action}", {"regions": " ".join(rest[1:])})
    if head in ("channel", "threshold", "categories", "digest", "language", "show", "forget"):
        key = {
            "channel": "channel",
            "threshold": "value",
            "categories": "categories",
            "digest": "value",
            "language": "language",
            "forget": "confirm",
        }.get(head)
        return parse(f"config {head}", {key: " ".join(rest)} if key else {})
    raise UserError(
        _(
            "Config commands: regions add|remove|list, channel #name, threshold 0–100, "
            "categories films,tv, digest on|off, language pt-BR|auto, show, forget."
        )
    )


def parse_question(text: str) -> Watch | None:
    """Recognise "should I watch X?" and friends in a message; None for anything else."""
    if len(text) > MAX_INPUT:
        return None
    text = _MENTION.sub(" ", unicodedata.normalize("NFKC", text))
    text = " ".join(text.split()).strip(" ,:")
    found = _QUESTION.match(text)
    if found is None:
        return None
    # the example question of each language trendbot speaks (help texts show it) is understood
    raw = next(g for g in found.group("a", "b", "c", "d", "e", "f", "g", "h") if g)
    raw = re.sub(r"\s+(?:tonight|today|now|this\s+weekend)$", "", raw, flags=re.IGNORECASE)
    try:
        return Watch(clean_query(raw))
    except UserError:
        return None


def ask_query(text: str) -> str:
    """The title `trendbot ask` searches for: the one in a question, or the text as a bare title.

    A question that names no title ("should I watch ?") is a UserError, never a search for
    its own words.
    """
    question = parse_question(text)
    if question is not None:
        return question.query
    if _TITLELESS.match(" ".join(_MENTION.sub(" ", unicodedata.normalize("NFKC", text)).split())):
        return clean_query("")  # raises "Which title? …"
    return clean_query(text)


def clean_query(raw: str) -> str:
    """Tidy a title query; UserError when nothing searchable is left or it is absurdly long."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split()).strip(" \"'“”‘’`*_?!.,")
    if not text or not any(ch.isalnum() for ch in text):
        raise UserError(_("Which title? Try `watch Backtrace` or ask “should I watch Backtrace?”."))
    if len(text) > MAX_QUERY:
        raise UserError(
            _("That title is {length} characters long; I search up to {limit}.").format(
                length=len(text), limit=MAX_QUERY
            )
        )
    return text


def _opt(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _category(text: str | None) -> tuple[Category, Language]:
    if not text:
        return "films", ""
    folded = text.casefold().replace("_", "-").replace(" ", "-")
    for language_word, language in _LANGUAGE_WORDS.items():
        suffix = f"-{language_word}"
        if folded.endswith(suffix) and folded[: -len(suffix)] in _CATEGORY_WORDS:
            return _CATEGORY_WORDS[folded[: -len(suffix)]], language
    if folded in _CATEGORY_WORDS:
        return _CATEGORY_WORDS[folded], ""
    raise UserError(_("Category must be films or tv, not “{text}”.").format(text=_short(text)))


def _language(text: str | None) -> Language:
    if not text:
        return ""
    language = _LANGUAGE_WORDS.get(text.casefold())
    if language is None:
        raise UserError(
            _("Language must be english or non-english, not “{text}”.").format(text=_short(text))
        )
    return language


def _week(text: str | None) -> date | None:
    if not text:
        return None
    if not _WEEK.fullmatch(text):
        raise UserError(
            _("Week must look like 2022-06-26, not “{text}”.").format(text=_short(text))
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(_("{text} is not a real date.").format(text=text)) from None


def _split(text: str) -> tuple[str, ...]:
    """Regions as typed: "US, GB", "US GB" or "United Kingdom, Brazil"."""
    if "," in text or ";" in text:
        parts = re.split(r"[,;]", text)
    elif all(len(word) <= 3 for word in text.split()):
        parts = text.split()
    else:
        parts = [text]
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _channel(text: str) -> str:
    text = text.strip()
    mention = _CHANNEL_MENTION.fullmatch(text)
    if mention:
        return mention.group(1)
    if _CHANNEL_ID.fullmatch(text):
        return text
    if text.startswith("#") and len(text) > 1:
        raise UserError(
            _("Pick the channel from the list (a link like #{name}) so I get its id.").format(
                name=_short(text[1:])
            )
        )
    raise UserError(_("Name a channel, e.g. `config channel #alerts`."))


def _threshold(text: str) -> int:
    try:
        value = int(text.strip().rstrip("%"))
    except ValueError:
        raise UserError(
            _("Threshold must be a whole number from 0 to 100, not “{text}”.").format(
                text=_short(text)
            )
        ) from None
    return check_threshold(value)


def check_threshold(value: int) -> int:
    if not 0 <= value <= 100:
        raise UserError(_("Threshold must be between 0 and 100, not {value}.").format(value=value))
    return value


def _on_off(text: str) -> bool:
    folded = text.strip().casefold()
    if folded in ("on", "yes", "true", "1", "enable", "enabled"):
        return True
    if folded in ("off", "no", "false", "0", "disable", "disabled"):
        return False
    raise UserError(_("Say on or off, e.g. `config digest on`."))


def _confirmed(text: str) -> bool:
    """`forget` alone asks; `forget confirm` (Discord: confirm = True) erases."""
    folded = text.strip().casefold()
    if folded in ("", "false", "no"):
        return False
    if folded in ("confirm", "true", "yes"):
        return True
    raise UserError(_("To erase this server's data, add `confirm`: `config forget confirm`."))


def _categories(text: str) -> tuple[Category, ...]:
    words = [w for w in re.split(r"[\s,;]+", text.casefold()) if w]
    if words in (["all"], ["both"]):
        return CATEGORIES
    chosen = set()
    for word in words:
        if word not in _CATEGORY_WORDS:
            raise UserError(
                _("Categories are films and tv, not “{text}”.").format(text=_short(word))
            )
        chosen.add(_CATEGORY_WORDS[word])
    if not chosen:
        raise UserError(_("Name films, tv or both."))
    return tuple(c for c in CATEGORIES if c in chosen)


def parse_language(text: str) -> str:
    """A language to pin ("pt-BR", "de", "Deutsch"), or "" for automatic ("auto")."""
    cleaned = text.strip()
    if cleaned.casefold() in ("", "auto", "automatic", "automatico", "automático", "automatique",
                              "automatisch"):  # fmt: skip
        return ""
    found = negotiate(cleaned)
    if found is None:
        by_name = {language_name(loc).casefold(): loc for loc in LOCALES}
        found = by_name.get(cleaned.casefold())
    if found is None:
        raise UserError(
            _("trendbot speaks {languages}; “{text}” is not one of them (or say auto).").format(
                languages=", ".join(f"{language_name(loc)} ({tag(loc)})" for loc in LOCALES),
                text=_short(text),
            )
        )
    return found


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
