"""Answers when something cannot be done: bad input, no chart yet, not an admin, our own failure.

Pure. Messages from bot/commands.py and bot/regions.py arrive complete; these cards frame them.
"""

from __future__ import annotations

from datetime import date

from bot.cards import Card, Tone
from bot.models import ChartKey
from bot.words.common import list_name
from bot.words.i18n import _


def error_card(message: str) -> Card:
    """A private error; the message already names any suggestions (they are not listed twice)."""
    return Card(title=_("Hmm, that didn't work"), text=message, tone=Tone.ERROR, private=True)


def source_error_card(problem: str) -> Card:
    """A data source failed while answering; its own message (technical, English) is quoted."""
    return error_card(_("A data source could not answer: {problem}").format(problem=problem))


def internal_error_card() -> Card:
    return Card(
        title=_("Something went wrong on my side"),
        text=_(
            "Sorry — please try again in a minute. The bot's admins can find details in its log."
        ),
        tone=Tone.ERROR,
        private=True,
    )


def picture_not_posted_card(platform: str = "") -> Card:
    """The rank-history picture could not go where the answer went (the bot is not in it)."""
    if platform == "slack":
        text = _(
            "trendbot is not a member of this channel. To see pictures here, /invite @trendbot."
        )
    else:
        text = _(
            "trendbot is not a member of this channel. To see pictures here, add trendbot to "
            "this channel."
        )
    return Card(
        title=_("The picture could not be posted here"),
        text=text,
        tone=Tone.WARNING,
        private=True,
    )


def refusal_card() -> Card:
    return Card(
        title=_("Only server admins can change trendbot's settings"),
        text=_("Ask someone with Manage Server permission (Discord) or a workspace admin (Slack)."),
        tone=Tone.WARNING,
        private=True,
    )


def no_data_card(key: ChartKey, week: date | None) -> Card:
    if week:
        title = _("No chart for {list} for the week ending {week}").format(
            list=list_name(key), week=week.isoformat()
        )
    else:
        title = _("No chart for {list} yet").format(list=list_name(key))
    return Card(
        title=title,
        text=_("Netflix may not have published it, or it has not been fetched yet."),
        tone=Tone.WARNING,
        private=True,
    )
