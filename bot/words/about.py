"""Answers about trendbot itself: /help, the welcome note, /about (credits, privacy, this
server's setup) and the descriptions platforms show beside each command.

Pure. Data credits carry the notices the providers' terms require, word for word.
"""

from __future__ import annotations

from bot import PRIVACY_URL, SOURCE_URL
from bot.cards import Card, Field, Link
from bot.models import Deployment, ServerSettings
from bot.regions import region_name
from bot.words.common import about_command, category_name, config_command
from bot.words.i18n import N_, _, language_name

# What each command and option is for, where a platform asks for it (Discord slash commands
# require a description on every command and option; its Translator asks for each language).
COMMAND_TEXT = {
    "trending": N_("This week's Netflix Top 10 with movement and surprise marks"),
    "surprises": N_("This week's surprising Top 10 entries, with reasons"),
    "watch": N_("Should I watch it? A verdict with review scores and chart history"),
    "help": N_("What trendbot does and how to set it up"),
    "about": N_("Version, data credits, privacy and this server's settings"),
    "config": N_("trendbot settings for this server (Manage Server)"),
    "config regions": N_("The regions whose Top 10 alerts come from"),
    "config regions add": N_("Follow more regions"),
    "config regions remove": N_("Stop following regions"),
    "config regions list": N_("Show the followed regions"),
    "config channel": N_("Where alerts are posted"),
    "config threshold": N_("How surprising an entry must be to alert (0–100)"),
    "config categories": N_("Films, TV or both"),
    "config digest": N_("A weekly round-up of the surprises in your regions"),
    "config language": N_("The language trendbot speaks in this server"),
    "config show": N_("Show this server's settings"),
    "config forget": N_("Erase this server's trendbot data (shows what first)"),
    "confirm": N_("True erases; leave it out to see what would be erased"),
    "region": N_("Country or GLOBAL (name or ISO code)"),
    "regions": N_("Countries, comma-separated (names or ISO codes)"),
    "category": N_("Films or TV"),
    "week": N_("The Sunday ending the week, e.g. 2022-06-26 (default: latest)"),
    "title": N_("A film or series"),
    "channel": N_("The alert channel"),
    "value": N_("0–100; higher means fewer, bigger surprises"),
    "categories": N_("Which lists alert"),
    "digest value": N_("On or off"),
    "language": N_("A language, or automatic: each member's own"),
}

NOT_NETFLIX = N_("trendbot is an independent project, not affiliated with or endorsed by Netflix.")
# TMDB's terms require exactly this notice wherever its data is shown: never translated
TMDB_NOTICE = "This product uses the TMDB API but is not endorsed or certified by TMDB."
# the licence of IMDb's non-commercial datasets requires this line, word for word
IMDB_NOTICE = "Information courtesy of IMDb (https://www.imdb.com). Used with permission."


def help_card(platform: str = "") -> Card:
    return Card(
        title=_("trendbot — surprises in Netflix's Top 10"),
        text=_(
            "I read Netflix's official weekly Top 10 for 94 countries and the world, and flag "
            "titles nobody expected to chart — old, badly reviewed catalog titles rather than "
            "this week's premieres."
        ),
        fields=(
            Field(
                _("/trending [region] [category] [week]"),
                _("the top 10 with ▲▼, NEW and ⚡"),
                False,
            ),
            Field(_("/surprises [region]"), _("this week's surprises, with reasons"), False),
            Field(
                _("/watch <title> — or ask “should I watch X?”"),
                _("a verdict with scores"),
                False,
            ),
            Field(
                _("{command} (admins)").format(command=config_command(platform)),
                _(
                    "regions add|remove|list · channel · threshold 0–100 · categories · "
                    "digest on|off · language · show · forget"
                ),
                False,
            ),
            Field(about_command(platform), _("version, data credits, privacy"), False),
        ),
        footer=_("Regions: ISO codes (US, GB) or names (Brazil); GLOBAL for the worldwide lists."),
        private=True,
    )


def welcome_card(platform: str = "") -> Card:
    return Card(
        title=_("Thanks for adding trendbot 👋"),
        text=_(
            "An admin can set me up in three steps: `{config} channel #alerts`, "
            "`{config} regions add US, GB`, and optionally `{config} threshold 60`. "
            "Anyone can try `/trending US` or ask “should I watch Backtrace?”."
        ).format(config=config_command(platform)),
    )


def about_card(
    deployment: Deployment,
    settings: ServerSettings | None,
    platform: str = "",
    *,
    is_admin: bool = False,
    invite_url: str | None = None,
) -> Card:
    """Version, where the code is, whose data this is, what is kept, and this server's setup."""
    here = (
        Field(
            _("Servers"),
            _("Each Discord server and Slack workspace sets up its own alerts."),
            False,
        )
        if platform == "cli"
        else Field(_("This server"), settings_summary(settings, platform), False)
    )
    fields = [
        Field(
            _("Version"), _("trendbot {version} (MIT licence)").format(version=deployment.version)
        ),
        here,
        Field(_("Data"), "\n".join(f"• {line}" for line in credit_lines(deployment)), False),
        Field(_("Privacy"), privacy_summary(deployment, platform), False),
    ]
    if is_admin and invite_url:
        fields.append(Field(_("Invite link (admins)"), invite_url, False))
    return Card(
        title=_("About trendbot"),
        text=_("Surprises in Netflix's weekly Top 10.") + " " + _(NOT_NETFLIX),
        fields=tuple(fields),
        links=(Link(_("Source code"), SOURCE_URL), Link(_("Privacy policy"), PRIVACY_URL)),
        private=True,
    )


def credit_lines(deployment: Deployment) -> list[str]:
    """Whose data trendbot shows, with the notices their terms require (those in English)."""
    lines = [
        _(
            "Charts: Netflix Top 10 (netflix.com/tudum/top10) and Netflix's “What We Watched” "
            "engagement reports (about.netflix.com)."
        ),
        _(
            "Titles and scores: the catalog bundled with trendbot — Kaggle's “Netflix TV Shows "
            "and Movies” (IMDb and TMDB ratings), Kaggle's “Rotten Tomatoes movies and critic "
            "reviews”, FiveThirtyEight's Fandango comparison (CC BY 4.0) and a 2016–17 ratings "
            "set. Every score shows its source and date."
        ),
    ]
    if "omdb" in deployment.online_scores:
        lines.append(
            _(
                "Fresh IMDb, Rotten Tomatoes and Metacritic scores: the OMDb API "
                "(omdbapi.com, CC BY-NC 4.0)."
            )
        )
    if "tmdb" in deployment.online_scores:
        lines.append(_("TMDB user scores and release dates: the TMDB API (themoviedb.org)."))
    lines.append(TMDB_NOTICE)
    if deployment.imdb_datasets:
        lines.append(IMDB_NOTICE)
    return lines


def privacy_summary(deployment: Deployment, platform: str = "") -> str:
    return _(
        "trendbot keeps this server's id, its alert channel and settings, the channel where "
        "admins last used {config}, and the alerts it sent (for {days} days). It keeps no "
        "messages and no user ids other than the installer's on Slack. Admins erase it all "
        "with `{config} forget`; removing the bot does too."
    ).format(config=config_command(platform), days=deployment.outbox_retention_days)


def settings_summary(settings: ServerSettings | None, platform: str = "") -> str:
    """One paragraph: where alerts go and what they follow, or how to start."""
    config = config_command(platform)
    if settings is None or not (settings.channel_id or settings.regions):
        return _("Not set up yet: an admin starts with `{config} channel #alerts`.").format(
            config=config
        )
    channel = f"<#{settings.channel_id}>" if settings.channel_id else _("no channel yet")
    regions = ", ".join(region_name(r) for r in settings.regions) or _("no regions yet")
    categories = ", ".join(category_name(c) for c in settings.categories)
    text = _(
        "Alerts in {channel} for {regions} · {categories} · threshold {threshold}/100 · "
        "weekly digest {digest}"
    ).format(
        channel=channel,
        regions=regions,
        categories=categories,
        threshold=settings.threshold,
        digest=_("on") if settings.digest else _("off"),
    )
    if settings.language:
        text += " · " + language_name(settings.language)
    if settings.disabled_reason:
        text += " · " + _("⚠ paused: {reason}").format(reason=settings.disabled_reason)
    return text
