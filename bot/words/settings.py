"""Answers for admins: the settings card and form labels, source health, the next publication,
paused alerts, and `config forget`.

Pure. What a setting does is decided in bot/admin.py; this module only words it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from bot.cards import Card, Choice, Field, Tone
from bot.models import ServerSettings, SourceHealth
from bot.polling import Plan
from bot.regions import region_label
from bot.words.common import category_name, config_command
from bot.words.i18n import (
    LOCALES,
    N_,
    _,
    choose,
    clock,
    count,
    language_name,
    short_day,
    tag,
    weekday,
)

SETTINGS_SAVED = N_("Settings saved")


@dataclass(frozen=True, slots=True)
class FormLabels:
    """Words for a settings form (Slack App Home); adapters only place them."""

    title: str = N_("trendbot settings")
    regions: str = N_("Regions to follow")
    regions_hint: str = N_("Alerts come from these countries' top 10 (and GLOBAL).")
    channel: str = N_("Alert channel")
    threshold: str = N_("Surprise threshold (0–100)")
    threshold_hint: str = N_("Higher means fewer, bigger surprises. 60 is a good start.")
    categories: str = N_("Categories")
    films: str = N_("Films")
    tv: str = N_("TV")
    films_and_tv: str = N_("Films + TV")
    on: str = N_("On")
    off: str = N_("Off")
    language: str = N_("Language")
    language_auto: str = N_("Automatic (each member's own language)")
    save: str = N_("Save settings")
    read_only: str = N_("Only workspace admins can change these settings.")
    invalid_threshold: str = N_("Enter a whole number from 0 to 100.")


FORM = FormLabels()  # in English, the language the messages are written in


@dataclass(frozen=True, slots=True)
class Home:
    """What a settings page shows (Slack App Home), worded in its viewer's language."""

    settings: ServerSettings
    card: Card
    labels: FormLabels
    regions: list[Choice]
    languages: list[Choice]


def form_labels() -> FormLabels:
    """The settings form's words in the language in force."""
    return FormLabels(*(_(getattr(FORM, f.name)) for f in fields(FormLabels)))


def language_setting(settings: ServerSettings) -> str:
    """ "Deutsch (pinned)" or "automatic — each member's own; alerts in Español"."""
    if settings.language:
        return _("{language} (pinned)").format(language=language_name(settings.language))
    return _("automatic — each member's own; alerts in {language}").format(
        language=language_name(choose(settings.locale))
    )


def config_card(
    settings: ServerSettings, health: Sequence[tuple[str, str]] = (), next_week: str = ""
) -> Card:
    channel = f"<#{settings.channel_id}>" if settings.channel_id else _("not set")
    regions = ", ".join(region_label(r) for r in settings.regions) or _("none")
    rows = [
        Field(_("Alert channel"), channel),
        Field(_("Regions"), regions),
        Field(_("Threshold"), f"{settings.threshold}/100"),
        Field(_("Categories"), ", ".join(category_name(c) for c in settings.categories)),
        Field(_("Weekly digest"), _("on") if settings.digest else _("off")),
        Field(_("Language"), language_setting(settings)),
    ]
    if settings.disabled_reason:
        rows.append(Field(_("⚠ Alerts paused"), settings.disabled_reason, False))
    for name, state in health:
        rows.append(Field(_("Source: {name}").format(name=name), state, False))
    if next_week:
        rows.append(Field(_("Next Netflix Top 10"), next_week, False))
    return Card(
        title=_("trendbot settings"),
        fields=tuple(rows),
        tone=Tone.WARNING if settings.disabled_reason else Tone.INFO,
        private=True,
    )


def config_done(message: str, settings: ServerSettings) -> Card:
    card = config_card(settings)
    return Card(title=message, fields=card.fields, tone=Tone.GOOD, private=True)


def disabled_notice(channel_id: str, reason: str, platform: str = "") -> Card:
    return Card(
        title=_("trendbot alerts are paused"),
        text=_(
            "I could not post to <#{channel}>: {reason}. Alerts stay paused until an admin runs "
            "`{command} channel` again (after fixing my permissions there)."
        ).format(channel=channel_id, reason=reason, command=config_command(platform)),
        tone=Tone.WARNING,
    )


def health_lines(sources: Sequence[SourceHealth]) -> list[tuple[str, str]]:
    """(source, state) pairs for admins: ok since when, or failing with the last error."""
    lines = []
    for s in sources:
        if s.failures:
            state = _("⚠ failing ({failures}×): {error}").format(
                failures=s.failures, error=s.last_error
            )
            if s.next_attempt_at:
                state += "; " + _("next try {when} UTC").format(
                    when=f"{s.next_attempt_at:%Y-%m-%d %H:%M}"
                )
            lines.append((s.name, state))
        elif s.last_success_at:
            lines.append((s.name, _("ok — last fetched {when} UTC").format(
                when=f"{s.last_success_at:%Y-%m-%d %H:%M}"
            )))  # fmt: skip
    return lines


def publication_text(plan: Plan) -> str:
    """When the next week's lists are expected, and how closely trendbot is watching."""
    when = _("{day}, about {time} UTC").format(
        day=weekday(plan.expected), time=clock(plan.expected)
    )
    every = _pace(plan.poll_every.total_seconds())
    if plan.mode == "window":
        return _("{when}: checking every {every} until it is out").format(when=when, every=every)
    if plan.mode in ("late", "overdue"):
        return _("was due {when} and is not out yet: checking every {every}").format(
            when=when, every=every
        )
    if plan.learned:
        basis = count("learned from {n} week", "learned from {n} weeks", plan.learned)
    else:
        basis = _("default window")
    return _("{when} ({basis}; week ending {week})").format(
        when=when, basis=basis, week=short_day(plan.week)
    )


def _pace(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:g} s"


def region_choices(pairs: Sequence[tuple[str, str]]) -> list[Choice]:
    return [Choice(label, code) for label, code in pairs]


def language_choices() -> list[Choice]:
    """The languages a server can pin, each in its own name, after "automatic"."""
    return [Choice(_("Automatic (each member's own language)"), "auto")] + [
        Choice(language_name(locale), tag(locale)) for locale in LOCALES
    ]


def forget_preview_card(platform: str = "") -> Card:
    """What `config forget` would erase, and how to go ahead."""
    confirm = (
        "/config forget confirm: True"
        if platform == "discord"
        else f"{config_command(platform)} forget confirm"
    )
    kept = (
        " " + _("The app's Slack token stays until you uninstall the app, which erases it too.")
        if platform == "slack"
        else ""
    )
    return Card(
        title=_("Erase this server's trendbot data?"),
        text=_(
            "This erases the alert channel, regions, threshold, categories, digest and language "
            "settings, the channel where admins last used the settings, and every queued or sent "
            "alert. Alerts stop at once. Netflix's charts and review scores are public data and "
            "stay."
        )
        + kept
        + " "
        + _("To go ahead: `{command}`.").format(command=confirm),
        tone=Tone.WARNING,
        private=True,
    )


def forgotten_card(platform: str = "") -> Card:
    return Card(
        title=_("This server's trendbot data is erased"),
        text=_(
            "Settings, regions and alerts are gone, and alerts have stopped. "
            "To start again: `{command} channel #alerts`."
        ).format(command=config_command(platform)),
        tone=Tone.GOOD,
        private=True,
    )
