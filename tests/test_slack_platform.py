"""Slack's contract and documented behaviour, as tests/fake_slack.py models them, and how the
adapter copes: refused calls, event retries (also to another replica), response_url limits, the
per-channel post rate, limited history, membership, token rotation and installer revocation."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack_adapter import SlackAdapter
from adapters.slack_install import StoreInstallationStore
from bot.cards import Card
from bot.config import SlackConfig
from tests.e2e_support import warm
from tests.fake_slack import (
    ADMIN,
    BOT_TOKEN,
    MEMBER,
    SECOND_TEAM,
    SECRET,
    FakeSlack,
    served,
)
from tests.test_slack_oauth import CLIENT_ID, install

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    return fake_slack


def http_config(fake: FakeSlack, **more: object) -> SlackConfig:
    settings: dict[str, object] = {"mode": "http", "api_base": fake.api_base,
                                   "bot_token": BOT_TOKEN, "signing_secret": SECRET}  # fmt: skip
    return SlackConfig(**(settings | more))  # type: ignore[arg-type]


async def call(fake: FakeSlack, method: str, token: str = BOT_TOKEN, **args: object) -> dict:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(fake.api_base + method, json=args, headers=headers) as response:
            found: dict = await response.json()
            found["status"] = response.status
            return found


# ---- the contract ---------------------------------------------------------------------------


async def test_the_fake_refuses_what_slack_refuses(fake: FakeSlack) -> None:
    assert (await call(fake, "chat.postMesage", channel="C1", text="x"))["error"] == (
        "unknown_method"
    )
    no_channel = await call(fake, "chat.postMessage", text="hello")
    assert no_channel["error"] == "invalid_arguments"
    assert "channel: required" in str(no_channel["response_metadata"])
    typo = await call(fake, "chat.postMessage", channel="C1", text="x", unfurl_link=False)
    assert typo["error"] == "invalid_arguments"
    assert (await call(fake, "conversations.history", channel="C1", limit="lots"))["error"] == (
        "invalid_arguments"
    )
    eleven = [{"type": "mrkdwn", "text": str(n)} for n in range(11)]
    crowded = await call(fake, "chat.postMessage", channel="C1", text="x",
                         blocks=[{"type": "context", "elements": eleven}])  # fmt: skip
    assert crowded["error"] == "invalid_blocks"
    fake.scopes["xoxb-narrow"] = frozenset({"chat:write"})
    narrow = await call(fake, "users.info", token="xoxb-narrow", user=MEMBER)
    assert narrow["error"] == "missing_scope" and narrow["needed"] == "users:read"
    private = await call(fake, "conversations.history", token="xoxb-narrow", channel="G1")
    assert private["needed"] == "groups:history"
    assert len(fake.take_violations()) == 7


async def test_every_call_of_a_real_command_is_within_the_contract(core, fake, clock) -> None:
    adapter = SlackAdapter(core, http_config(fake), clock=clock)
    await warm(core)  # as the service is before it serves
    try:
        async with served(adapter.web_app(), clock, fake) as slack:
            await slack.answer("/watch", "Backtrace", user=MEMBER, channel="C0042")
            await slack.answer("/trendbot-config", "threshold 70", user=ADMIN)
            await slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
            await fake.next("views.publish")
        methods = {c.method for c in fake.web_api_calls}
        assert {"auth.test", "users.info", "views.publish"} <= methods
        assert fake.violations == []  # and close() would fail the test otherwise
    finally:
        await adapter.close()


# ---- events ---------------------------------------------------------------------------------


async def test_a_retried_event_is_answered_once_even_on_another_replica(core, fake, clock) -> None:
    replicas = [SlackAdapter(core, http_config(fake), clock=clock) for _ in range(2)]
    mention = {"type": "app_mention", "user": MEMBER, "text": "<@UBOT> should I watch It?",
               "channel": "C0042", "ts": "1.0"}  # fmt: skip
    fake.members = {"C0042"}  # app_mention events come only from channels the bot is in
    await warm(core)
    try:
        async with (
            served(replicas[0].web_app(), clock, fake) as first,
            served(replicas[1].web_app(), clock, fake) as second,
        ):
            assert (await first.event(mention, event_id="EvRetry")).status == 200
            await fake.next("chat.postMessage")
            # Slack thought the ack was late and re-sends it, here to the other replica
            again = await second.event(mention, event_id="EvRetry", retry=1)
            assert again.status == 200
            assert (await first.event(mention, event_id="EvRetry", retry=2)).status == 200
            await first.event(mention | {"ts": "2.0"}, event_id="EvOther")
            await fake.next("chat.postMessage")
        assert len(fake.calls_to("chat.postMessage")) == 2  # EvRetry once, EvOther once
    finally:
        for replica in replicas:
            await replica.close()


# ---- response_url, rates, membership ------------------------------------------------------------


async def test_a_response_url_takes_five_answers_within_30_minutes(fake: FakeSlack) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    body = {"text": "x", "response_type": "ephemeral"}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(6):
            async with http.post(fake.url("/respond/a"), json=body) as r:
                statuses.append((r.status, await r.text()))
        assert statuses[:5] == [(200, "ok")] * 5 and statuses[5] == (404, "used_url")
        async with http.post(fake.url("/respond/b"), json=body) as r:
            assert r.status == 200
        now[0] += 30 * 60
        async with http.post(fake.url("/respond/b"), json=body) as r:
            assert (r.status, await r.text()) == (404, "expired_url")


async def test_posts_to_one_channel_are_limited_to_about_one_a_second(fake: FakeSlack) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    fake.members = None
    answers = [await call(fake, "chat.postMessage", channel="C1", text="x") for _ in range(6)]
    assert [a["status"] for a in answers] == [200] * 5 + [429]  # a burst, then 1 a second
    assert (await call(fake, "chat.postMessage", channel="C2", text="x"))["ok"] is True
    now[0] += 1.0
    assert (await call(fake, "chat.postMessage", channel="C1", text="x"))["ok"] is True


async def test_history_is_limited_and_needs_membership(fake: FakeSlack) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    assert (await call(fake, "conversations.history", channel="C1"))["error"] == "not_in_channel"
    fake.members = {"C1"}
    for n in range(20):
        await call(fake, "chat.postMessage", channel="C1", text=f"m{n}")
        now[0] += 1
    found = await call(fake, "conversations.history", channel="C1", limit=100)
    assert len(found["messages"]) == 15
    again = await call(fake, "conversations.history", channel="C1")
    assert again["status"] == 429 and again["error"] == "ratelimited"


async def test_public_channels_take_posts_without_membership_private_ones_do_not(fake) -> None:
    assert (await call(fake, "chat.postMessage", channel="C9", text="x"))["ok"] is True
    assert (await call(fake, "chat.postMessage", channel="G9", text="x"))["error"] == (
        "channel_not_found"
    )
    fake.scopes["xoxb-no-public"] = frozenset({"chat:write"})
    refused = await call(fake, "chat.postMessage", token="xoxb-no-public", channel="C9", text="x")
    assert refused["error"] == "not_in_channel"


async def test_a_picture_that_cannot_be_uploaded_gets_a_note(core, fake, clock) -> None:
    adapter = SlackAdapter(core, http_config(fake), clock=clock)
    try:
        async with served(adapter.web_app(), clock, fake) as slack:
            answer = await slack.answer("/watch", "Backtrace", user=MEMBER, channel="C0042")
            assert answer["response_type"] == "in_channel"  # the verdict reached the channel
            note = await fake.next("respond")  # the bot is not a member: no upload there
            assert note.body["response_type"] == "ephemeral"
            assert "/invite @trendbot" in json.dumps(note.body["blocks"])
    finally:
        await adapter.close()


# ---- tokens ----------------------------------------------------------------------------------


async def test_an_expiring_rotated_token_is_refreshed_before_an_alert(core, fake, clock) -> None:
    config = http_config(fake, bot_token=None, client_id=CLIENT_ID, client_secret="secret")
    adapter = SlackAdapter(core, config, clock=clock)
    installs = StoreInstallationStore(core.store, clock)
    await installs.async_save(
        Installation(
            app_id="A0001", enterprise_id=None, team_id="T7", user_id=ADMIN,
            bot_token="xoxe.xoxb-old", bot_refresh_token="xoxe-r-old", bot_id="B7",
            bot_user_id="U7", bot_scopes="chat:write", installed_at=time.time(),
            bot_token_expires_at=int(time.time()) + 60,  # expires within the 2-hour margin
        )
    )  # fmt: skip
    fake.expires["xoxe.xoxb-old"] = time.time() + 60
    try:
        await adapter.send_to("T7", "C7", Card("alert"), "tb1")
        [refresh] = fake.calls_to("oauth.v2.access")
        assert refresh.body["grant_type"] == "refresh_token"
        assert refresh.body["refresh_token"] == "xoxe-r-old"
        [posted] = fake.calls_to("chat.postMessage")
        assert posted.token == fake.refreshed["xoxe-r-old"]
        bot = await installs.async_find_bot(enterprise_id=None, team_id="T7")
        assert bot is not None and bot.bot_token == posted.token  # kept for the next send
    finally:
        await adapter.close()


async def test_the_installer_revoking_their_token_keeps_the_bot(core, fake, clock) -> None:
    config = http_config(fake, bot_token=None, client_id=CLIENT_ID, client_secret="secret")
    adapter = SlackAdapter(core, config, clock=clock)
    try:
        async with served(adapter.web_app(), clock, fake) as slack:
            await install(slack)
            revoked = {"type": "tokens_revoked", "tokens": {"oauth": [ADMIN], "bot": []}}
            assert (await slack.event(revoked, team=SECOND_TEAM)).status == 200
            installs = StoreInstallationStore(core.store, clock)

            async def bot_kept() -> bool:
                found = await installs.async_find_installation(enterprise_id=None,
                                                               team_id=SECOND_TEAM)  # fmt: skip
                return found is not None and not found.user_id and bool(found.bot_token)

            for _ in range(100):
                if await bot_kept():
                    break
                await asyncio.sleep(0)
            assert await bot_kept()
            await adapter.send_to(SECOND_TEAM, "C0200", Card("still here"), "tb1")
            assert fake.calls_to("chat.postMessage")[-1].body["channel"] == "C0200"
    finally:
        await adapter.close()


async def test_an_org_wide_uninstall_forgets_every_workspace_of_the_org(core, fake, clock):
    from bot.models import CATEGORIES, ServerSettings

    for server in ("E1:T1", "E1:T2", "T3"):
        await core.store.save_server(ServerSettings("slack", server, "C1", 60, CATEGORIES), clock())
    config = http_config(fake, bot_token=None, client_id=CLIENT_ID, client_secret="secret")
    adapter = SlackAdapter(core, config, clock=clock)
    try:
        await adapter.workspaces.forget("E1", None)  # what app_uninstalled of an org install calls
    finally:
        await adapter.close()
    assert [s.server_id for s in await core.store.servers("slack")] == ["T3"]
