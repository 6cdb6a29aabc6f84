"""Answers about trendbot itself: /help, the welcome note, /about (credits, privacy, this
server's setup) and the descriptions platforms show beside each command.

Pure. Data credits carry the notices the providers' terms require, word for word.
"""

from __future__ import annotations

from bot import PRIVACY_URL, SOURCE_URL
from bot.models import Card, Deployment, Field, Link, ServerSettings
from bot.regions import region_name
from bot.words.common import about_command, category_name, config_command

# What each command and option is for, where a platform asks for it (Discord slash commands
# require a description on every command and option).
COMMAND_TEXT = {
    "trending": "This week's Netflix Top 10 with movement and surprise marks",
    "surprises": "This week's surprising Top 10 entries, with reasons",
    "watch": "Should I watch it? A verdict with review scores and chart history",
    "help": "What trendbot does and how to set it up",
    "about": "Version, data credits, privacy and this server's settings",
    "config": "trendbot settings for this server (Manage Server)",
    "config regions": "The regions whose Top 10 alerts come from",
    "config regions add": "Follow more regions",
    "config regions remove": "Stop following regions",
    "config regions list": "Show the followed regions",
    "config channel": "Where alerts are posted",
    "config threshold": "How surprising an entry must be to alert (0–100)",
    "config categories": "Films, TV or both",
    "config digest": "A weekly round-up of the surprises in your regions",
    "config show": "Show this server's settings",
    "config forget": "Erase this server's trendbot data (shows what first)",
    "confirm": "True erases; leave it out to see what would be erased",
    "region": "Country or GLOBAL (name or ISO code)",
    "regions": "Countries, comma-separated (names or ISO codes)",
    "category": "Films or TV",
    "week": "The Sunday ending the week, e.g. 2022-06-26 (default: latest)",
    "title": "A film or series",
    "channel": "The alert channel",
    "value": "0–100; higher means fewer, bigger surprises",
    "categories": "Which lists alert",
    "digest value": "On or off",
}

NOT_NETFLIX = "trendbot is an independent project, not affiliated with or endorsed by Netflix."
# TMDB's terms require exactly this notice wherever its data is shown
TMDB_NOTICE = "This product uses the TMDB API but is not endorsed or certified by TMDB."
# the licence of IMDb's non-commercial datasets requires this line
IMDB_NOTICE = "Information courtesy of IMDb (https://www.imdb.com). Used with permission."


def help_card(platform: str = "") -> Card:
    return Card(
        title="trendbot — surprises in Netflix's Top 10",
        text=(
            "I read Netflix's official weekly Top 10 for 94 countries and the world, and flag "
            "titles nobody expected to chart — old, badly reviewed catalog titles rather than "
            "this week's premieres."
        ),
        fields=(
            Field(
                "/trending [region] [category] [week]",
                "the top 10 with ▲▼, NEW and ⚡",
                False,
            ),
            Field("/surprises [region]", "this week's surprises, with reasons", False),
            Field(
                "/watch <title> — or ask “should I watch X?”",
                "a verdict with scores",
                False,
            ),
            Field(
                f"{config_command(platform)} (admins)",
                "regions add|remove|list · channel · threshold 0–100 · categories · "
                "digest on|off · show · forget",
                False,
            ),
            Field(about_command(platform), "version, data credits, privacy", False),
        ),
        footer="Regions: ISO codes (US, GB) or names (Brazil); GLOBAL for the worldwide lists.",
        private=True,
    )


def welcome_card(platform: str = "") -> Card:
    config = config_command(platform)
    return Card(
        title="Thanks for adding trendbot 👋",
        text=(
            f"An admin can set me up in three steps: `{config} channel #alerts`, "
            f"`{config} regions add US, GB`, and optionally `{config} threshold 60`. "
            "Anyone can try `/trending US` or ask “should I watch Backtrace?”."
        ),
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
        Field("Servers", "Each Discord server and Slack workspace sets up its own alerts.", False)
        if platform == "cli"
        else Field("This server", settings_summary(settings, platform), False)
    )
    fields = [
        Field("Version", f"trendbot {deployment.version} (MIT licence)"),
        here,
        Field("Data", "\n".join(f"• {line}" for line in credit_lines(deployment)), False),
        Field("Privacy", privacy_summary(deployment, platform), False),
    ]
    if is_admin and invite_url:
        fields.append(Field("Invite link (admins)", invite_url, False))
    return Card(
        title="About trendbot",
        text="Surprises in Netflix's weekly Top 10. " + NOT_NETFLIX,
        fields=tuple(fields),
        links=(Link("Source code", SOURCE_URL), Link("Privacy policy", PRIVACY_URL)),
        private=True,
    )


def credit_lines(deployment: Deployment) -> list[str]:
    """Whose data trendbot shows, with the notices their terms require."""
    lines = [
        "Charts: Netflix Top 10 (netflix.com/tudum/top10) and Netflix's “What We Watched” "
        "engagement reports (about.netflix.com).",
        "Titles and scores: the catalog bundled with trendbot — Kaggle's “Netflix TV Shows and "
        "Movies” (IMDb and TMDB ratings), Kaggle's “Rotten Tomatoes movies and critic reviews”, "
        "FiveThirtyEight's Fandango comparison (CC BY 4.0) and a 2016–17 ratings set. "
        "Every score shows its source and date.",
    ]
    if "omdb" in deployment.online_scores:
        lines.append("Fresh IMDb, Rotten Tomatoes and Metacritic scores: the OMDb API "
                     "(omdbapi.com, CC BY-NC 4.0).")  # fmt: skip
    if "tmdb" in deployment.online_scores:
        lines.append("TMDB user scores and release dates: the TMDB API (themoviedb.org).")
    lines.append(TMDB_NOTICE)
    if deployment.imdb_datasets:
        lines.append(IMDB_NOTICE)
    return lines


def privacy_summary(deployment: Deployment, platform: str = "") -> str:
    days = deployment.outbox_retention_days
    return (
        "trendbot keeps this server's id, its alert channel and settings, the channel where "
        f"admins last used {config_command(platform)}, and the alerts it sent (for {days} days). "
        "It keeps no messages and no user ids other than the installer's on Slack. "
        f"Admins erase it all with `{config_command(platform)} forget`; removing the bot does too."
    )


def settings_summary(settings: ServerSettings | None, platform: str = "") -> str:
    """One paragraph: where alerts go and what they follow, or how to start."""
    config = config_command(platform)
    if settings is None or not (settings.channel_id or settings.regions):
        return f"Not set up yet: an admin starts with `{config} channel #alerts`."
    channel = f"<#{settings.channel_id}>" if settings.channel_id else "no channel yet"
    regions = ", ".join(region_name(r) for r in settings.regions) or "no regions yet"
    categories = ", ".join(category_name(c) for c in settings.categories)
    text = (
        f"Alerts in {channel} for {regions} · {categories} · threshold "
        f"{settings.threshold}/100 · weekly digest {'on' if settings.digest else 'off'}"
    )
    if settings.disabled_reason:
        text += f" · ⚠ paused: {settings.disabled_reason}"
    return text
