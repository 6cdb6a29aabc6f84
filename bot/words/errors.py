"""Answers when something cannot be done: bad input, no chart yet, not an admin, our own failure.

Pure. Messages from bot/commands.py and bot/regions.py arrive complete; these cards frame them.
"""

from __future__ import annotations

from datetime import date

from bot.models import Card, ChartKey, Tone
from bot.words.common import list_name


def error_card(message: str) -> Card:
    """A private error; the message already names any suggestions (they are not listed twice)."""
    return Card(title="Hmm, that didn't work", text=message, tone=Tone.ERROR, private=True)


def internal_error_card() -> Card:
    return Card(
        title="Something went wrong on my side",
        text="Sorry — please try again in a minute. The bot's admins can find details in its log.",
        tone=Tone.ERROR,
        private=True,
    )


def picture_not_posted_card(platform: str = "") -> Card:
    """The rank-history picture could not go where the answer went (the bot is not in it)."""
    invite = "/invite @trendbot" if platform == "slack" else "add trendbot to this channel"
    return Card(
        title="The picture could not be posted here",
        text=f"trendbot is not a member of this channel. To see pictures here, {invite}.",
        tone=Tone.WARNING,
        private=True,
    )


def refusal_card() -> Card:
    return Card(
        title="Only server admins can change trendbot's settings",
        text="Ask someone with Manage Server permission (Discord) or a workspace admin (Slack).",
        tone=Tone.WARNING,
        private=True,
    )


def no_data_card(key: ChartKey, week: date | None) -> Card:
    when = f" for the week ending {week.isoformat()}" if week else " yet"
    return Card(
        title=f"No chart for {list_name(key)}{when}",
        text="Netflix may not have published it, or it has not been fetched yet.",
        tone=Tone.WARNING,
        private=True,
    )
