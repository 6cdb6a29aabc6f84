"""The Slack adapter in Socket Mode: apps.connections.open on the fake Web API hands out a ws://
URL on the same fake, which says hello, pushes envelopes and records Bolt's acks."""

from __future__ import annotations

import pytest

from adapters.slack_adapter import SlackAdapter
from bot.config import SlackConfig
from bot.errors import ConfigError
from tests.e2e_support import warm
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, MEMBER, command, event


@pytest.fixture
def fake(fake_slack):
    return fake_slack


@pytest.fixture
async def adapter(core, fake, clock):
    config = SlackConfig(
        mode="socket", api_base=fake.api_base, bot_token=BOT_TOKEN, app_token=APP_TOKEN
    )
    adapter = SlackAdapter(core, config, clock=clock)
    yield adapter
    await adapter.close()


async def test_connects_with_the_app_token_and_disconnects(adapter, fake):
    assert not adapter.connected
    await adapter.start_socket_mode()
    opened = fake.calls_to("apps.connections.open")
    assert len(opened) == 1 and opened[0].token == APP_TOKEN
    assert adapter.connected
    await adapter.close()
    assert not adapter.connected


async def test_slash_command_is_acked_over_the_socket_and_answered(adapter, fake, core):
    await warm(core)  # as the service is before it serves
    await adapter.start_socket_mode()
    payload = command("/trending", "US films 2022-06-26", user=MEMBER, response_url="")
    payload["response_url"] = fake.url("/respond/hook")
    await fake.send_envelope(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )
    ack = await fake.next_ack()
    assert ack["envelope_id"] == "env-1"
    answer = ack["payload"]  # the answer rides in the envelope's ack
    assert answer["response_type"] == "in_channel"
    first = answer["blocks"][0]
    assert first["type"] == "header" and first["text"]["text"] == "Top 10 · United States · Films"
    assert not fake.calls_to("respond") and not fake.calls_to("users.info")


async def test_mention_over_the_socket_gets_an_answer(adapter, fake):
    await adapter.start_socket_mode()
    text = "<@UBOT> should I watch Backtrace?"
    inner = {"type": "app_mention", "user": MEMBER, "text": text, "channel": "C0042", "ts": "1.0"}
    await fake.send_envelope(
        {"envelope_id": "env-2", "type": "events_api", "payload": event(inner)}
    )
    assert (await fake.next_ack())["envelope_id"] == "env-2"
    posted = await fake.next("chat.postMessage")
    assert posted.body["channel"] == "C0042"
    assert posted.body["blocks"][0]["text"]["text"] == "Should you watch Backtrace (2018)?"


@pytest.mark.parametrize(
    ("config", "named"),
    [
        (SlackConfig(mode="socket", bot_token=BOT_TOKEN), "SLACK_APP_TOKEN"),
        (SlackConfig(mode="socket", app_token=APP_TOKEN), "SLACK_BOT_TOKEN"),
        (SlackConfig(mode="http", bot_token=BOT_TOKEN), "SLACK_SIGNING_SECRET"),
        (SlackConfig(mode="http", signing_secret="s"), "SLACK_CLIENT_ID"),
    ],
)
def test_missing_secrets_are_named(core, config, named):
    with pytest.raises(ConfigError, match=named):
        SlackAdapter(core, config)
