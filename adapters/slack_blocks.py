"""Cards → Slack Block Kit, and the App Home settings form (built and read back).

Pure. Words come from the Card or from the form labels the core gives (`bot.words.settings.Home`,
in the viewer's language); this module only places them and keeps within Block Kit's limits,
shortening cleanly with "…" where a Card is longer than Slack allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.admin import MAX_REGIONS
from bot.asks import SettingsForm
from bot.cards import Card, Field
from bot.models import CATEGORIES, Category
from bot.words.i18n import tag
from bot.words.settings import Home

Block = dict[str, Any]

# Block Kit limits (docs.slack.dev/reference/block-kit/blocks)
MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
FIELDS_PER_SECTION = 10
BUTTON_CHARS = 75
BUTTONS_PER_ACTIONS = 25
OPTION_CHARS = 75
STATIC_OPTIONS = 100
FALLBACK_CHARS = 3000

SAVE_ACTION = "save_settings"
LINK_ACTION = re.compile(r"^link_\d+$")
ELLIPSIS = "…"

# Channel and user mentions render natively and are harmless; anything else in angle brackets
# (including <!channel> echoed back from user input) is escaped so it shows as typed.
_KEEP = re.compile(r"<(?:#[CG][A-Z0-9]+|@[UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_TORN_TAIL = re.compile(r"(?:&[a-z]{0,4}|<[^>]*)$")


def escape(text: str) -> str:
    """Escape &, < and > for mrkdwn, keeping <#C…> and <@U…> mentions."""
    out = []
    last = 0
    for found in _KEEP.finditer(text):
        out.append(_escape_plain(text[last : found.start()]))
        out.append(found.group(0))
        last = found.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut (never inside an entity or tag)."""
    if len(text) <= limit:
        return text
    cut = _TORN_TAIL.sub("", text[: limit - 1]).rstrip()
    return cut + ELLIPSIS


def fallback_text(card: Card) -> str:
    """The plain `text` every message carries (notifications, screen readers, old clients)."""
    return clip(escape(card.summary), FALLBACK_CHARS)


def card_blocks(card: Card, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """A Card as blocks: header, text, fields, link buttons, then the footer as a context line."""
    head: list[Block] = []
    if card.title.strip():
        head.append(_header(card.title))
    if card.text.strip():
        head.append(_section(escape(card.text)))
    tail: list[Block] = []
    if card.links:
        tail.append(_link_buttons(card))
    if card.footer.strip():
        tail.append(_context(escape(card.footer)))
    body = _field_blocks(card.fields)
    room = max(1, max_blocks - len(head) - len(tail))
    if len(body) > room:
        body = body[: room - 1] + [_context(ELLIPSIS)]
    return head + body + tail


def home_view(home: Home, *, editable: bool, notice: Card | None = None) -> dict[str, Any]:
    """The App Home tab: an optional notice, the settings card, then the form (admins) or a note."""
    blocks: list[Block] = []
    if notice is not None:
        blocks += card_blocks(notice, max_blocks=20)
        blocks.append({"type": "divider"})
    blocks += card_blocks(home.card, max_blocks=40)
    blocks.append({"type": "divider"})
    if editable:
        blocks += settings_form(home)
    else:
        blocks.append(_context(escape(home.labels.read_only)))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def settings_form(home: Home) -> list[Block]:
    """Input blocks for regions, channel, threshold, categories and language, and a Save button."""
    settings, labels = home.settings, home.labels
    region_options = [_option(c.name, c.value) for c in home.regions[:STATIC_OPTIONS]]
    chosen = [o for o in region_options if o["value"] in settings.regions]
    region_select: Block = {
        "type": "multi_static_select",
        "action_id": "regions",
        "options": region_options,
        "max_selected_items": MAX_REGIONS,
    }
    if chosen:
        region_select["initial_options"] = chosen
    channel_select: Block = {
        "type": "conversations_select",
        "action_id": "channel",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if settings.channel_id:
        channel_select["initial_conversation"] = settings.channel_id
    category_options = [_option(labels.films, "films"), _option(labels.tv, "tv")]
    checkboxes: Block = {
        "type": "checkboxes",
        "action_id": "categories",
        "options": category_options,
    }
    ticked = [o for o in category_options if o["value"] in settings.categories]
    if ticked:
        checkboxes["initial_options"] = ticked
    threshold: Block = {
        "type": "plain_text_input",
        "action_id": "threshold",
        "initial_value": str(settings.threshold),
    }
    language_options = [_option(c.name, c.value) for c in home.languages]
    pinned = tag(settings.language) if settings.language else "auto"
    language: Block = {
        "type": "static_select",
        "action_id": "language",
        "options": language_options,
        "initial_option": next(
            (o for o in language_options if o["value"] == pinned), language_options[0]
        ),
    }
    return [
        _input("regions", labels.regions, region_select, hint=labels.regions_hint),
        _input("channel", labels.channel, channel_select),
        _input("threshold", labels.threshold, threshold, hint=labels.threshold_hint),
        _input("categories", labels.categories, checkboxes),
        _input("language", labels.language, language),
        {
            "type": "actions",
            "block_id": "save",
            "elements": [
                {
                    "type": "button",
                    "action_id": SAVE_ACTION,
                    "style": "primary",
                    "text": _plain(clip(labels.save, BUTTON_CHARS)),
                }
            ],
        },
    ]


def form_from_state(values: Mapping[str, Any]) -> SettingsForm:
    """Read the submitted form back; a missing input leaves that setting unchanged. A threshold
    that is not a whole number comes back as `threshold_text` (the core refuses the form)."""
    regions = _state(values, "regions")
    channel = _state(values, "channel")
    threshold = _state(values, "threshold")
    categories = _state(values, "categories")
    language = _state(values, "language")
    value: int | None = None
    raw = str(threshold.get("value") or "").strip() if threshold else ""
    if raw:
        try:
            value = int(raw)
        except ValueError:
            return SettingsForm(threshold_text=raw)
    picked = (language.get("selected_option") or {}).get("value") if language else None
    ticked = {str(o.get("value")) for o in categories.get("selected_options") or ()}
    chosen: tuple[Category, ...] = tuple(c for c in CATEGORIES if c in ticked)
    return SettingsForm(
        regions=(
            tuple(str(o.get("value")) for o in regions.get("selected_options") or ())
            if regions
            else None
        ),
        channel_id=str(channel.get("selected_conversation") or "") or None,
        threshold=value,
        categories=chosen if categories else None,
        language=str(picked) if picked else None,
    )


# ---- helpers ------------------------------------------------------------------------------------


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def _header(title: str) -> Block:
    return {"type": "header", "text": _plain(clip(" ".join(title.split()), HEADER_CHARS))}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_CHARS)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_CHARS)}]}


def _field_text(field: Field, limit: int) -> str:
    label = escape(" ".join(field.label.split()))
    value = escape(field.value)
    if not label:
        return clip(value, limit)
    if not value:
        return clip(f"*{label}*", limit)
    return clip(f"*{label}*\n{value}", limit)


def _field_blocks(fields: Sequence[Field]) -> list[Block]:
    """Inline fields share sections (two columns, ≤ 10 each); others get a section of their own."""
    blocks: list[Block] = []
    row: list[Block] = []

    def flush() -> None:
        if row:
            blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for field in fields:
        if not (field.label.strip() or field.value.strip()):
            continue
        if field.inline:
            row.append({"type": "mrkdwn", "text": _field_text(field, FIELD_CHARS)})
            if len(row) == FIELDS_PER_SECTION:
                flush()
        else:
            flush()
            blocks.append(_section(_field_text(field, SECTION_CHARS)))
    flush()
    return blocks


def _link_buttons(card: Card) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": f"link_{i}",
                "text": _plain(clip(link.label, BUTTON_CHARS)),
                "url": link.url,
            }
            for i, link in enumerate(card.links[:BUTTONS_PER_ACTIONS])
        ],
    }


def _option(text: str, value: str) -> Block:
    return {"text": _plain(clip(text, OPTION_CHARS)), "value": value}


def _input(block_id: str, label: str, element: Block, *, hint: str = "") -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": element,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _state(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    if not isinstance(block, Mapping):
        return {}
    element = block.get(block_id)
    return element if isinstance(element, Mapping) else {}
