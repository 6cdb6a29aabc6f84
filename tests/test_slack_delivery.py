"""Slack alert delivery: chat.postMessage through the real AsyncWebClient against the fake Slack,
429s honoured, refusals turned into the typed errors the Notifier acts on."""

from __future__ import annotations

import asyncio
import socket
from datetime import date

import pytest

from adapters.slack_adapter import SlackAdapter
from bot.asks import Context
from bot.cards import Card, Field, Link, Tone
from bot.config import SlackConfig
from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError
from bot.models import Alert, ChartKey
from bot.notify import Notifier
from bot.words.settings import config_card
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM

CARD = Card(
    title="⚡ Surprise in United States · Films: Backtrace (2018)",
    text="#8 NEW — surprise score 81/100",
    fields=(Field("Why it's a surprise", "• 2018 release — 4 years old\n• IMDb 3.8/10", False),),
    footer="Netflix Top 10 (netflix.com/tudum/top10) · week ending 2022-06-26",
    tone=Tone.SURPRISE,
    links=(Link("IMDb", "https://www.imdb.com/title/tt7797670/"),),
)
ADMIN_CTX = Context("slack", TEAM, "C0001", "UADMIN", is_admin=True)


@pytest.fixture
def fake(fake_slack):
    return fake_slack


def socket_config(api_base: str) -> SlackConfig:
    return SlackConfig(mode="socket", api_base=api_base, bot_token=BOT_TOKEN, app_token=APP_TOKEN)


@pytest.fixture
async def adapter(core, fake, clock):
    adapter = SlackAdapter(core, socket_config(fake.api_base), clock=clock)
    yield adapter
    await adapter.close()


async def test_alert_is_posted_as_blocks_with_a_fallback_text(adapter, fake):
    await adapter.send("C0001", CARD, "tb1")
    posted = await fake.next("chat.postMessage")
    assert posted.token == BOT_TOKEN
    assert posted.body["channel"] == "C0001"
    assert posted.body["text"].startswith("⚡ Surprise in United States · Films: Backtrace (2018)")
    kinds = [b["type"] for b in posted.body["blocks"]]
    assert kinds == ["header", "section", "section", "actions", "context"]
    assert posted.body["blocks"][3]["elements"][0]["url"].startswith("https://www.imdb.com/")
    assert posted.body["unfurl_links"] is False


async def test_429_is_retried_after_retry_after_and_delivered_once(adapter, fake):
    fake.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
    loop = asyncio.get_running_loop()
    started = loop.time()
    await adapter.send("C0001", CARD, "tb1")
    assert loop.time() - started >= 1.0
    attempts = fake.calls_to("chat.postMessage")
    assert len(attempts) == 2  # the refused one and the one that got through
    assert attempts[0].body == attempts[1].body


async def test_a_long_retry_after_goes_back_to_the_notifier(adapter, fake):
    fake.fail("chat.postMessage", status=429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as caught:
        await adapter.send("C0001", CARD, "tb1")
    assert caught.value.retry_after == 120
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"]
)
async def test_a_closed_channel_is_a_typed_failure(adapter, fake, error):
    fake.fail("chat.postMessage", error, channel="C0001")
    with pytest.raises(ChannelUnavailable) as caught:
        await adapter.send("C0001", CARD, "tb1")
    assert str(caught.value) == f"Slack: {error}"


async def test_server_errors_are_transient(adapter, fake):
    fake.fail("chat.postMessage", status=500)
    with pytest.raises(TransientDeliveryError):
        await adapter.send("C0001", CARD, "tb1")


async def test_an_unreachable_slack_is_transient(core, clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = SlackAdapter(core, socket_config(f"http://127.0.0.1:{port}/api/"), clock=clock)
    with pytest.raises(TransientDeliveryError):
        await adapter.send("C0001", CARD, "tb1")


async def configure(core) -> None:
    await core.run("config channel", {"channel": "C0001"}, ADMIN_CTX)
    await core.run("config regions add", {"regions": "US"}, ADMIN_CTX)


def alert(title: str) -> Alert:
    key = ChartKey("US", "films")
    return Alert("slack", TEAM, "C0001", key, date(2022, 6, 26), title, "surprise", CARD)


async def test_notifier_delivers_through_the_adapter(adapter, fake, core, clock):
    await configure(core)
    await core.store.enqueue([alert("Backtrace")], clock())
    report = await Notifier(core.store, {"slack": adapter}, clock).drain()
    assert report.sent == 1
    posted = await fake.next("chat.postMessage")
    assert posted.body["channel"] == "C0001"
    assert posted.body["metadata"]["event_type"] == "trendbot_alert"


async def test_notifier_pauses_a_channel_slack_refuses_and_tells_admins(core, fake, clock):
    config = SlackConfig(
        mode="socket",
        api_base=fake.api_base,
        bot_token=BOT_TOKEN,
        app_token=APP_TOKEN,
        admin_user_ids=("UADMIN",),
    )
    adapter = SlackAdapter(core, config, clock=clock)
    await configure(core)
    fake.fail("chat.postMessage", "not_in_channel", channel="C0001")
    await core.store.enqueue([alert("Backtrace")], clock())
    report = await Notifier(core.store, {"slack": adapter}, clock).drain()
    assert report.failed == 1 and report.disabled_channels == (("slack", "C0001"),)
    settings, card = await core.settings("slack", TEAM)
    assert settings.disabled_reason == "Slack: not_in_channel"
    assert any(f.value == "Slack: not_in_channel" for f in card.fields)
    assert config_card(settings).tone is Tone.WARNING
    told = [c for c in fake.calls_to("chat.postMessage") if c.body["channel"] == "UADMIN"]
    assert len(told) == 1
    assert "Slack: not_in_channel" in str(told[0].body["blocks"])


async def test_was_sent_finds_an_alert_by_the_key_in_its_metadata(adapter, fake, clock):
    fake.members = {"C0001"}  # invited: the bot may read the channel's history
    fake.clock = lambda: clock().timestamp()
    await adapter.send("C0001", CARD, "tb41")
    assert await adapter.was_sent("C0001", "tb41", CARD) is True
    clock.advance(seconds=61)  # history: one call a minute
    assert await adapter.was_sent("C0001", "tb42", CARD) is False
    history = fake.calls_to("conversations.history")[0]
    assert str(history.body["include_all_metadata"]).lower() in ("true", "1")
    assert int(history.body["limit"]) == 15  # all a non-Marketplace app gets


@pytest.mark.parametrize("why", ["not_in_channel", "ratelimited", "fatal_error"])
async def test_was_sent_records_rather_than_repeats_when_slack_will_not_tell(
    adapter, fake, caplog, why
):
    fake.members = {"C0001"} if why != "not_in_channel" else set()
    if why != "not_in_channel":
        fake.fail("conversations.history", why, status=429 if why == "ratelimited" else 200,
                  headers={"Retry-After": "60"})  # fmt: skip
    assert await adapter.was_sent("C0001", "tb41", CARD) is True
    assert "recorded as sent, not repeated" in caplog.text


async def test_a_crash_mid_send_is_not_reposted_when_history_cannot_be_read(
    adapter, fake, core, clock
):
    await configure(core)
    await core.store.enqueue([alert("Backtrace")], clock())
    [pending] = await core.store.due(clock())
    await core.store.claim(pending.id, clock())  # claimed, then the process died
    await adapter.send("C0001", CARD, "tb1")  # …after Slack had posted it (bot not a member)
    report = await Notifier(core.store, {"slack": adapter}, clock).drain()
    assert report.sent == 1
    assert len(fake.calls_to("chat.postMessage")) == 1  # recorded, not repeated


async def test_a_bundle_is_one_message_and_each_alert_is_found_again(adapter, fake, clock):
    fake.members = {"C0001"}
    fake.clock = lambda: clock().timestamp()
    other = Card(title="⚡ Surprise in United States · Films: The Mist (2007)", text="#4 NEW")
    await adapter.send_bundle(None, "C0001", [CARD, other], ["tb41", "tb42"])
    posted = await fake.next("chat.postMessage")  # checked against Slack's spec and limits
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert len(posted.body["blocks"]) <= 50
    assert [b["type"] for b in posted.body["blocks"]].count("divider") == 1
    assert "Backtrace" in posted.body["text"] and "The Mist" in posted.body["text"]
    assert await adapter.was_sent("C0001", "tb42", other) is True
