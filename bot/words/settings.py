"""Answers for admins: the settings card and form labels, source health, the next publication,
paused alerts, and `config forget`.

Pure. What a setting does is decided in bot/admin.py; this module only words it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Card, Choice, Field, ServerSettings, SourceHealth, Tone
from bot.polling import Plan
from bot.regions import region_label
from bot.words.common import category_name, config_command, plural

SETTINGS_SAVED = "Settings saved"


@dataclass(frozen=True, slots=True)
class FormLabels:
    """Words for a settings form (Slack App Home); adapters only place them."""

    title: str = "trendbot settings"
    regions: str = "Regions to follow"
    regions_hint: str = "Alerts come from these countries' top 10 (and GLOBAL)."
    channel: str = "Alert channel"
    threshold: str = "Surprise threshold (0–100)"
    threshold_hint: str = "Higher means fewer, bigger surprises. 60 is a good start."
    categories: str = "Categories"
    films: str = "Films"
    tv: str = "TV"
    on: str = "On"
    off: str = "Off"
    save: str = "Save settings"
    read_only: str = "Only workspace admins can change these settings."
    invalid_threshold: str = "Enter a whole number from 0 to 100."


FORM = FormLabels()


def config_card(
    settings: ServerSettings, health: Sequence[tuple[str, str]] = (), next_week: str = ""
) -> Card:
    channel = f"<#{settings.channel_id}>" if settings.channel_id else "not set"
    regions = ", ".join(region_label(r) for r in settings.regions) or "none"
    fields = [
        Field("Alert channel", channel),
        Field("Regions", regions),
        Field("Threshold", f"{settings.threshold}/100"),
        Field("Categories", ", ".join(category_name(c) for c in settings.categories)),
        Field("Weekly digest", "on" if settings.digest else "off"),
    ]
    if settings.disabled_reason:
        fields.append(Field("⚠ Alerts paused", settings.disabled_reason, False))
    for name, state in health:
        fields.append(Field(f"Source: {name}", state, False))
    if next_week:
        fields.append(Field("Next Netflix Top 10", next_week, False))
    return Card(
        title="trendbot settings",
        fields=tuple(fields),
        tone=Tone.WARNING if settings.disabled_reason else Tone.INFO,
        private=True,
    )


def config_done(message: str, settings: ServerSettings) -> Card:
    card = config_card(settings)
    return Card(title=message, fields=card.fields, tone=Tone.GOOD, private=True)


def disabled_notice(channel_id: str, reason: str, platform: str = "") -> Card:
    return Card(
        title="trendbot alerts are paused",
        text=(
            f"I could not post to <#{channel_id}>: {reason}. Alerts stay paused until an admin "
            f"runs `{config_command(platform)} channel` again (after fixing my permissions there)."
        ),
        tone=Tone.WARNING,
    )


def health_lines(sources: Sequence[SourceHealth]) -> list[tuple[str, str]]:
    """(source, state) pairs for admins: ok since when, or failing with the last error."""
    lines = []
    for s in sources:
        if s.failures:
            retry = (
                f"; next try {s.next_attempt_at:%Y-%m-%d %H:%M} UTC" if s.next_attempt_at else ""
            )
            lines.append((s.name, f"⚠ failing ({s.failures}×): {s.last_error}{retry}"))
        elif s.last_success_at:
            lines.append((s.name, f"ok — last fetched {s.last_success_at:%Y-%m-%d %H:%M} UTC"))
    return lines


def publication_text(plan: Plan) -> str:
    """When the next week's lists are expected, and how closely trendbot is watching."""
    when = f"{plan.expected:%a %d %b}, about {plan.expected:%H:%M} UTC"
    every = _pace(plan.poll_every.total_seconds())
    if plan.mode == "window":
        return f"{when}: checking every {every} until it is out"
    if plan.mode in ("late", "overdue"):
        return f"was due {when} and is not out yet: checking every {every}"
    basis = f"learned from {plural(plan.learned, 'week')}" if plan.learned else "default window"
    return f"{when} ({basis}; week ending {plan.week:%d %b})"


def _pace(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:g} s"


def region_choices(pairs: Sequence[tuple[str, str]]) -> list[Choice]:
    return [Choice(label, code) for label, code in pairs]


def forget_preview_card(platform: str = "") -> Card:
    """What `config forget` would erase, and how to go ahead."""
    confirm = (
        "/config forget confirm: True"
        if platform == "discord"
        else f"{config_command(platform)} forget confirm"
    )
    kept = (
        " The app's Slack token stays until you uninstall the app, which erases it too."
        if platform == "slack"
        else ""
    )
    return Card(
        title="Erase this server's trendbot data?",
        text=(
            "This erases the alert channel, regions, threshold, categories and digest setting, "
            "the channel where admins last used the settings, and every queued or sent alert. "
            "Alerts stop at once. Netflix's charts and review scores are public data and stay."
            f"{kept} To go ahead: `{confirm}`."
        ),
        tone=Tone.WARNING,
        private=True,
    )


def forgotten_card(platform: str = "") -> Card:
    return Card(
        title="This server's trendbot data is erased",
        text=(
            "Settings, regions and alerts are gone, and alerts have stopped. "
            f"To start again: `{config_command(platform)} channel #alerts`."
        ),
        tone=Tone.GOOD,
        private=True,
    )
