"""The Slack adapter in HTTP mode: the real AsyncApp served on 127.0.0.1, signed requests from a
play-Slack client, and the Web API pointed at tests/fake_slack.py, which records every call."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack_adapter import SlackAdapter
from bot.config import SlackConfig
from bot.words.settings import FORM
from tests.e2e_support import warm
from tests.fake_slack import (
    ADMIN,
    BOT_TOKEN,
    MEMBER,
    OWNER,
    SECRET,
    TEAM,
    SlackSide,
    command,
    form_body,
    form_values,
    save_action,
    served,
    sign,
    signed_headers,
)
from tests.fakes import FakeClock


@pytest.fixture
def fake(fake_slack):
    return fake_slack


@pytest.fixture
async def adapter(core, fake, clock):
    config = SlackConfig(
        mode="http", api_base=fake.api_base, bot_token=BOT_TOKEN, signing_secret=SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock)
    yield adapter
    await adapter.close()


@pytest.fixture
async def slack(adapter, fake, clock):
    async with served(adapter.web_app(), clock, fake) as side:
        yield side


def texts(blocks: list[dict[str, Any]]) -> str:
    """All the words in a list of blocks, for assertions."""
    found = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                found.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("text"), dict):
                found.append(part["text"]["text"])
        if isinstance(block.get("label"), dict):
            found.append(block["label"]["text"])
    return "\n".join(found)


def header(blocks: list[dict[str, Any]]) -> str:
    return str(next(b["text"]["text"] for b in blocks if b["type"] == "header"))


class _LogEvent(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@pytest.fixture
def log_event():
    """log_event(text) → an asyncio.Event set when the adapter logs a line containing `text`."""
    logger = logging.getLogger("adapters")  # every Slack module logs under it
    handlers: list[_LogEvent] = []

    def watch(text: str) -> asyncio.Event:
        handlers.append(_LogEvent(text))
        logger.addHandler(handlers[-1])
        return handlers[-1].seen

    yield watch
    for handler in handlers:
        logger.removeHandler(handler)


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


# ---- slash commands ----------------------------------------------------------------------------


async def test_trending_is_answered_in_the_ack_without_a_users_info_call(slack, fake, core):
    await warm(core)  # as the service is before it serves
    response = await asyncio.wait_for(slack.command("/trending", "US films 2022-06-26"), 3)
    assert response.status == 200
    answer = await response.json()  # Bolt's fast path: the answer is the ack's body
    assert answer["response_type"] == "in_channel"
    blocks = answer["blocks"]
    assert header(blocks) == "Top 10 · United States · Films"
    words = texts(blocks)
    assert "Backtrace" in words and "⚡" in words
    context = [b for b in blocks if b["type"] == "context"][-1]
    assert "week ending 2022-06-26" in context["elements"][0]["text"]
    assert "Netflix Top 10" in context["elements"][0]["text"]
    assert answer["text"].startswith("Top 10 · United States · Films")
    assert not fake.calls_to("respond") and not fake.calls_to("users.info")
    assert not fake.problems


async def test_a_slow_answer_is_acked_at_once_and_posted_to_response_url(core, fake, clock):
    config = SlackConfig(
        mode="http", api_base=fake.api_base, bot_token=BOT_TOKEN, signing_secret=SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock, ack_budget=0.0)  # every answer is "slow"
    try:
        async with served(adapter.web_app(), clock, fake) as slack:
            response = await asyncio.wait_for(slack.command("/trending", "US films"), 3)
            assert response.status == 200 and await response.text() == ""
            answer = await fake.next("respond")
            assert answer.body["response_type"] == "in_channel"
            assert header(answer.body["blocks"]).startswith("Top 10 · United States")
    finally:
        await adapter.close()


async def test_the_ack_never_waits_for_an_answer_still_being_worked_on(core, fake, clock):
    # Bolt sends the listener's ack when the listener returns (process_before_response): work
    # past the budget must go on after it, or Slack's 3 s would run out behind it
    gate = asyncio.Event()
    answer_text = core.run_text

    async def held(name, text, ctx):
        await gate.wait()
        return await answer_text(name, text, ctx)

    core.run_text = held
    config = SlackConfig(
        mode="http", api_base=fake.api_base, bot_token=BOT_TOKEN, signing_secret=SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock, ack_budget=0.05)
    try:
        async with served(adapter.web_app(), clock, fake) as slack:
            response = await asyncio.wait_for(slack.command("/trending", "US films"), 3)
            assert response.status == 200 and await response.text() == ""
            assert not fake.calls_to("respond")  # still held
            gate.set()
            answer = await fake.next("respond")
            assert header(answer.body["blocks"]).startswith("Top 10 · United States")
    finally:
        await adapter.close()


async def test_close_waits_for_acked_work_then_stops_what_is_still_stuck(
    core, fake, clock, caplog, monkeypatch
):
    import adapters.slack_adapter as slack_adapter

    monkeypatch.setattr(slack_adapter, "CLOSE_WAIT", 0.05)
    gate = asyncio.Event()
    answer_text = core.run_text

    async def stuck(name, text, ctx):
        await gate.wait()  # never set: an answer that never comes
        return await answer_text(name, text, ctx)

    core.run_text = stuck
    config = SlackConfig(
        mode="http", api_base=fake.api_base, bot_token=BOT_TOKEN, signing_secret=SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock, ack_budget=0.01)
    async with served(adapter.web_app(), clock, fake) as slack:
        response = await asyncio.wait_for(slack.command("/trending", "US films"), 3)
        assert response.status == 200
        assert len(adapter._pending) == 1
        await asyncio.wait_for(adapter.close(), 3)  # returns, with the stuck answer stopped
    assert not adapter._pending
    assert not fake.calls_to("respond")
    no_errors(caplog)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("/trending", "Narnia", "Unknown region"),
        ("/trending", "US 2022-13-45", "not a real date"),
        ("/watch", "", "Which title?"),
        ("/watch", "Zzxqv Qwzx", "I don't know"),
        ("/trendbot-config", "threshold lots", "whole number"),
        ("/trendbot-config", "frobnicate", "Config commands"),
    ],
)
async def test_bad_input_gets_a_private_clear_message(slack, fake, caplog, name, text, expected):
    caplog.set_level(logging.INFO)
    answer = await slack.answer(name, text, user=ADMIN)
    assert answer["response_type"] == "ephemeral"
    assert expected in texts(answer["blocks"]) + header(answer["blocks"])
    no_errors(caplog)


async def test_watch_answers_with_verdict_and_uploads_the_picture(slack, fake):
    answer = await slack.answer("/watch", "Backtrace", user=MEMBER, channel="C0042")
    assert answer["response_type"] == "in_channel"
    assert header(answer["blocks"]) == "Should you watch Backtrace (2018)?"
    ticket = await fake.next("files.getUploadURLExternal")
    assert ticket.body["filename"].endswith(".png")
    upload = await fake.next("upload")
    assert upload.raw.startswith(b"\x89PNG")
    assert int(ticket.body["length"]) == len(upload.raw)
    done = await fake.next("files.completeUploadExternal")
    assert done.body["channel_id"] == "C0042"
    assert done.token == BOT_TOKEN


async def test_a_failed_picture_upload_still_leaves_the_card(slack, fake, caplog, log_event):
    caplog.set_level(logging.INFO)
    logged = log_event("not uploaded")
    fake.fail("files.completeUploadExternal", "not_in_channel")
    answer = await slack.answer("/watch", "Backtrace", user=MEMBER)
    assert header(answer["blocks"]) == "Should you watch Backtrace (2018)?"
    await asyncio.wait_for(logged.wait(), 5)
    assert "not_in_channel" in caplog.text
    no_errors(caplog)


async def test_help_command_is_private(slack, fake):
    answer = await slack.answer("/trendbot-help", user=MEMBER)
    assert answer["response_type"] == "ephemeral"
    assert header(answer["blocks"]).startswith("trendbot")


async def test_non_admin_config_is_refused_and_changes_nothing(slack, fake, core):
    answer = await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=MEMBER)
    assert answer["response_type"] == "ephemeral"
    assert header(answer["blocks"]).startswith("Only server admins")
    assert (users := fake.calls_to("users.info")) and users[0].body["user"] == MEMBER
    assert await core.store.server("slack", TEAM) is None


@pytest.mark.parametrize("user", [ADMIN, OWNER])
async def test_admin_or_owner_config_sets_the_alert_channel(slack, fake, core, user):
    answer = await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=user)
    assert "<#C0042>" in texts(answer["blocks"])
    settings = await core.store.server("slack", TEAM)
    assert settings is not None and settings.channel_id == "C0042"


async def test_allow_listed_user_is_admin_without_asking_slack(core, fake, clock):
    config = SlackConfig(
        mode="http",
        api_base=fake.api_base,
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        admin_user_ids=(MEMBER,),
    )
    adapter = SlackAdapter(core, config, clock=clock)
    http = TestClient(TestServer(adapter.web_app(), host="127.0.0.1"))
    await http.start_server()
    try:
        answer = await SlackSide(http, clock, fake).answer(
            "/trendbot-config", "threshold 70", user=MEMBER
        )
        assert "70/100" in texts(answer["blocks"])
        assert not fake.calls_to("users.info")
    finally:
        await http.close()
        await adapter.close()


# ---- request signing ---------------------------------------------------------------------------

# Slack's worked example from "Verifying requests from Slack" (docs.slack.dev/authentication/
# verifying-requests-from-slack); the same values appear in several SDKs' test suites.
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_our_signer_reproduces_slacks_documented_example():
    assert sign(DOC_BODY, DOC_TIMESTAMP, DOC_SECRET) == DOC_SIGNATURE


@pytest.mark.parametrize(
    ("offset", "signature", "status"),
    [
        (0, DOC_SIGNATURE, "passes"),
        (299, DOC_SIGNATURE, "passes"),
        (301, DOC_SIGNATURE, 401),  # stale: more than 5 minutes old
        (-301, DOC_SIGNATURE, 401),  # from the future
        (0, DOC_SIGNATURE[:-1] + "4", 401),  # forged
    ],
)
async def test_slacks_documented_request_passes_our_check(core, fake, offset, signature, status):
    clock = FakeClock(datetime.fromtimestamp(DOC_TIMESTAMP, UTC))
    clock.advance(seconds=offset)
    config = SlackConfig(
        mode="http", api_base=fake.api_base, bot_token=BOT_TOKEN, signing_secret=DOC_SECRET
    )
    adapter = SlackAdapter(core, config, clock=clock)
    http = TestClient(TestServer(adapter.web_app(), host="127.0.0.1"))
    await http.start_server()
    try:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(DOC_TIMESTAMP),
            "X-Slack-Signature": signature,
        }
        response = await http.post("/slack/events", data=DOC_BODY, headers=headers)
        if status == "passes":
            # past the signature check, Bolt finds no /webhook-collect listener here
            assert response.status == 404
            assert "unhandled" in await response.text()
        else:
            assert response.status == 401
            assert fake.calls == []
    finally:
        await http.close()
        await adapter.close()


def _tamper(
    kind: str, body: bytes, headers: dict[str, str], now: int
) -> tuple[bytes, dict[str, str]]:
    headers = dict(headers)
    if kind == "wrong secret":
        headers["X-Slack-Signature"] = sign(body, now, "not-the-secret")
    elif kind == "no signature":
        del headers["X-Slack-Signature"]
    elif kind == "no timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif kind == "garbage timestamp":
        headers["X-Slack-Request-Timestamp"] = "soon"
    elif kind == "stale":
        headers["X-Slack-Request-Timestamp"] = str(now - 301)
        headers["X-Slack-Signature"] = sign(body, now - 301)
    elif kind == "future":
        headers["X-Slack-Request-Timestamp"] = str(now + 301)
        headers["X-Slack-Signature"] = sign(body, now + 301)
    elif kind == "body changed":
        body = body.replace(b"Backtrace", b"Backtracf")
    elif kind == "not utf-8":
        body = body + b"\xff"
        headers["X-Slack-Signature"] = sign(body, now)
    return body, headers


@pytest.mark.parametrize(
    "kind",
    [
        "wrong secret",
        "no signature",
        "no timestamp",
        "garbage timestamp",
        "stale",
        "future",
        "body changed",
        "not utf-8",
    ],
)
async def test_bad_signatures_get_401_and_touch_nothing(slack, fake, core, caplog, kind):
    body = form_body(
        command("/trendbot-config", "threshold 5", response_url=fake.url("/respond/hook"))
    ).replace(b"threshold+5", b"threshold+5+Backtrace")
    headers = signed_headers(body, slack.now, form=True)
    body, headers = _tamper(kind, body, headers, slack.now)
    response = await slack.http.post("/slack/events", data=body, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": "invalid request"}
    assert fake.calls == []
    assert await core.store.server("slack", TEAM) is None
    no_errors(caplog)


async def test_url_verification_echoes_the_challenge(slack, fake):
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    response = await slack.post(body.encode(), form=False)
    assert response.status == 200
    assert await response.json() == {"challenge": "c-123"}


# ---- mentions and direct messages --------------------------------------------------------------


async def test_mention_with_a_question_gets_a_verdict_in_the_channel(slack, fake):
    text = "<@UBOT> should I watch Backtrace?"
    response = await slack.event(
        {"type": "app_mention", "user": MEMBER, "text": text, "channel": "C0042", "ts": "1.0"}
    )
    assert response.status == 200
    posted = await fake.next("chat.postMessage")
    assert posted.body["channel"] == "C0042"
    assert header(posted.body["blocks"]) == "Should you watch Backtrace (2018)?"
    assert posted.body["text"].startswith("Should you watch Backtrace (2018)?")
    assert (await fake.next("files.completeUploadExternal")).body["channel_id"] == "C0042"


async def test_mention_without_a_question_gets_help_only_for_the_asker(slack, fake):
    await slack.event(
        {"type": "app_mention", "user": MEMBER, "text": "<@UBOT> hi", "channel": "C0042"}
    )
    posted = await fake.next("chat.postEphemeral")
    assert posted.body["user"] == MEMBER and posted.body["channel"] == "C0042"
    assert header(posted.body["blocks"]).startswith("trendbot")
    assert not fake.calls_to("chat.postMessage")


async def test_direct_message_question_is_answered_and_bot_messages_ignored(slack, fake):
    base = {"type": "message", "channel": "D0001", "channel_type": "im", "user": MEMBER}
    await slack.event({**base, "text": "should I watch Backtrace?", "bot_id": "B9"}, event_id="E1")
    await slack.event({**base, "text": "edited", "subtype": "message_changed"}, event_id="E2")
    await slack.event({**base, "text": "is Backtrace any good?"}, event_id="E3")
    posted = await fake.next("chat.postMessage")
    assert posted.body["channel"] == "D0001"
    assert header(posted.body["blocks"]) == "Should you watch Backtrace (2018)?"
    await fake.next("files.completeUploadExternal")
    assert len(fake.calls_to("chat.postMessage")) == 1


# ---- App Home ----------------------------------------------------------------------------------


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


async def test_app_home_for_an_admin_has_the_settings_form(slack, fake):
    await slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D1", "tab": "home"})
    published = await fake.next("views.publish")
    assert published.body["user_id"] == ADMIN
    view = published.body["view"]
    assert view["type"] == "home"
    assert header(view["blocks"]) == "trendbot settings"
    form = inputs(view)
    assert set(form) == {"regions", "channel", "threshold", "categories", "language"}
    assert len(form["regions"]["element"]["options"]) == 95
    assert form["regions"]["label"]["text"] == FORM.regions
    assert form["threshold"]["element"]["initial_value"] == "60"
    assert form["channel"]["element"]["type"] == "conversations_select"
    save = [b for b in view["blocks"] if b["type"] == "actions"][-1]["elements"][0]
    assert save["action_id"] == "save_settings" and save["text"]["text"] == FORM.save


async def test_app_home_for_a_member_is_read_only(slack, fake):
    await slack.event({"type": "app_home_opened", "user": MEMBER, "channel": "D1", "tab": "home"})
    view = (await fake.next("views.publish")).body["view"]
    assert not inputs(view)
    assert not [b for b in view["blocks"] if b["type"] == "actions"]
    assert FORM.read_only in texts(view["blocks"])
    assert "Threshold" in texts(view["blocks"])
    assert "Next Netflix Top 10" in texts(view["blocks"])  # when the next alerts may come


async def test_admin_saves_settings_from_app_home(slack, fake, core):
    values = form_values(
        regions=["US", "GB"], channel="C0042", threshold="70", categories=["films"]
    )
    response = await slack.action(save_action(values, user=ADMIN))
    assert response.status == 200
    view = (await fake.next("views.publish")).body["view"]
    assert header(view["blocks"]) == "Settings saved"
    assert inputs(view)["threshold"]["element"]["initial_value"] == "70"
    chosen = inputs(view)["regions"]["element"]["initial_options"]
    assert {o["value"] for o in chosen} == {"US", "GB"}
    settings = await core.store.server("slack", TEAM)
    assert settings is not None
    assert settings.regions == ("US", "GB")
    assert settings.channel_id == "C0042"
    assert settings.threshold == 70
    assert settings.categories == ("films",)


async def test_forged_save_from_a_member_is_refused(slack, fake, core):
    values = form_values(regions=["US"], channel="C0042", threshold="5", categories=["tv"])
    response = await slack.action(save_action(values, user=MEMBER))
    assert response.status == 200
    view = (await fake.next("views.publish")).body["view"]
    assert header(view["blocks"]).startswith("Only server admins")
    assert not inputs(view)
    settings = await core.store.server("slack", TEAM)
    assert settings is None or (settings.channel_id is None and settings.threshold == 60)


@pytest.mark.parametrize(("threshold", "message"), [("lots", FORM.invalid_threshold), ("150", "")])
async def test_bad_threshold_is_a_clear_message(slack, fake, core, caplog, threshold, message):
    values = form_values(regions=["US"], channel="C0042", threshold=threshold)
    await slack.action(save_action(values, user=ADMIN))
    view = (await fake.next("views.publish")).body["view"]
    words = texts(view["blocks"])
    assert header(view["blocks"]) == "Hmm, that didn't work"
    assert (message or "between 0 and 100") in words
    settings = await core.store.server("slack", TEAM)
    assert settings is None or settings.channel_id is None
    no_errors(caplog)


async def test_app_uninstalled_forgets_the_workspace(slack, fake, core, monkeypatch):
    await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=ADMIN)
    assert await core.store.server("slack", TEAM) is not None
    removed = asyncio.Event()
    real = core.server_removed

    async def spy(platform: str, server_id: str) -> None:
        await real(platform, server_id)
        removed.set()

    monkeypatch.setattr(core, "server_removed", spy)
    await slack.event({"type": "app_uninstalled"})
    await asyncio.wait_for(removed.wait(), 5)
    assert await core.store.server("slack", TEAM) is None


async def test_app_home_shows_why_alerts_are_paused(slack, fake, core, clock):
    await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=ADMIN)
    await core.store.disable_channel("slack", "C0042", "Slack: not_in_channel", clock())
    await slack.event({"type": "app_home_opened", "user": MEMBER, "channel": "D1", "tab": "home"})
    view = (await fake.next("views.publish")).body["view"]
    assert "Slack: not_in_channel" in texts(view["blocks"])
