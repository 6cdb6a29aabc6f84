"""Slack in the languages trendbot speaks: a reply follows the asker's locale (users.info with
include_locale), alerts the workspace's (an admin's, as Slack tells apps none of its own), and a
pinned language overrides both. The real AsyncApp against tests/fake_slack.py."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.slack_adapter import SlackAdapter
from bot.config import SlackConfig
from bot.notify import Notifier
from tests.fake_slack import ADMIN, BOT_TOKEN, MEMBER, SECRET, TEAM, served
from tests.test_slack_http import header, texts

WEEK = date(2022, 6, 26)


@pytest.fixture
async def slack(core, fake_slack, clock):
    config = SlackConfig(
        mode="http", api_base=fake_slack.api_base, bot_token=BOT_TOKEN, signing_secret=SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock)
    fake_slack.locales.update({ADMIN: "de-DE", MEMBER: "pt-BR"})
    async with served(adapter.web_app(), clock, fake_slack) as side:
        side.adapter = adapter
        yield side
    await adapter.close()


async def _ask(slack, user: str) -> str:
    slack.asked = getattr(slack, "asked", 0) + 1  # each mention a new message and event
    await slack.event({"type": "app_mention", "user": user, "channel": "C0042",
                       "ts": f"{slack.asked}.0", "text": "<@UBOT> should I watch Backtrace?"},
                      event_id=f"Ev{slack.asked}")  # fmt: skip
    return header((await slack.fake.next("chat.postMessage")).body["blocks"])


async def test_a_reply_speaks_the_askers_language_and_an_alert_the_workspaces(
    slack, core, clock
) -> None:
    # an admin sets up alerts: the answer is in the admin's German, which stands for the workspace
    answer = await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=ADMIN)
    assert "Alarme gehen an <#C0042>" in texts(answer["blocks"])
    answer = await slack.answer("/trendbot-config", "regions add US", user=ADMIN)
    assert "Jetzt verfolgt: Vereinigte Staaten" in texts(answer["blocks"])
    assert await core.store.server_languages("slack", TEAM) == ("", "de-DE")
    # a member's question is answered in the member's own language
    assert await _ask(slack, MEMBER) == "Você deve assistir Backtrace (2018)?"
    calls = slack.fake.calls_to("users.info")
    assert calls and all(c.body.get("include_locale") == "1" for c in calls)
    # the alert goes to everyone in the channel: the workspace's language
    await core.store._db.run(
        "UPDATE server_regions SET baseline_week = '2022-05-29' WHERE server_id = :server",
        {"server": TEAM},
    )
    notifier = Notifier(core.store, {"slack": slack.adapter}, clock)
    queued = await notifier.queue_week(await core.analyst.week(WEEK))
    assert queued >= 1 and (await notifier.drain()).sent == queued
    posts = [c.body for c in slack.fake.calls_to("chat.postMessage") if c.body.get("metadata")]
    backtrace = [p for p in posts if "Backtrace" in p["text"]]
    assert backtrace and backtrace[0]["text"].startswith("⚡ Überraschung in Vereinigte Staaten")


async def test_config_language_pins_and_unpins_on_slack(slack, core) -> None:
    answer = await slack.answer("/trendbot-config", "language fr", user=ADMIN)
    assert "trendbot parle désormais Français ici" in texts(answer["blocks"])
    assert await _ask(slack, MEMBER) == "Faut-il regarder Backtrace (2018) ?"
    answer = await slack.answer("/trendbot-config", "language auto", user=ADMIN)
    assert "trendbot spricht hier jetzt die Sprache jedes Mitglieds" in texts(answer["blocks"])
    assert await _ask(slack, MEMBER) == "Você deve assistir Backtrace (2018)?"
    answer = await slack.answer("/trendbot-config", "language tlh", user=ADMIN)
    assert "„tlh“ gehört nicht dazu" in texts(answer["blocks"])
    assert "Português (Brasil) (pt-BR)" in texts(answer["blocks"])
