"""Slack HTTP mode with OAuth: the install flow, installations kept in our database, a bot token
per workspace for commands and alerts, and uninstall/revocation forgetting the workspace."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest

from adapters.slack_adapter import SlackAdapter
from bot.cards import Card
from bot.config import SlackConfig
from bot.errors import ChannelUnavailable
from bot.models import Alert, ChartKey
from bot.notify import Notifier
from tests.fake_slack import (
    ADMIN,
    OAUTH_TOKEN,
    SECOND_TEAM,
    SECRET,
    SlackSide,
    served,
)

CLIENT_ID = "1111.2222"
# slack_sdk itself sends oauth.v2.access credentials with aiohttp's deprecated BasicAuth
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.fixture
def fake(fake_slack):
    return fake_slack


@pytest.fixture
async def adapter(core, fake, clock):
    config = SlackConfig(
        mode="http",
        api_base=fake.api_base,
        signing_secret=SECRET,
        client_id=CLIENT_ID,
        client_secret="client-secret",
    )
    adapter = SlackAdapter(core, config, clock=clock)
    yield adapter
    await adapter.close()


@pytest.fixture
async def slack(adapter, fake, clock):
    async with served(adapter.web_app(), clock, fake) as side:
        yield side


async def install(slack: SlackSide) -> None:
    """Walk the browser through /slack/install and back from Slack to /slack/oauth_redirect."""
    page = await slack.http.get("/slack/install")
    assert page.status == 200
    state = re.search(r"state=([\w-]+)", await page.text())
    assert state is not None
    cookie = page.headers["Set-Cookie"].split(";")[0]
    assert cookie == f"slack-app-oauth-state={state.group(1)}"
    back = await slack.http.get(
        f"/slack/oauth_redirect?code=code-1&state={state.group(1)}", headers={"Cookie": cookie}
    )
    assert back.status == 200


async def test_install_page_asks_slack_for_our_scopes(slack):
    page = await slack.http.get("/slack/install")
    html = await page.text()
    assert "https://slack.com/oauth/v2/authorize?state=" in html
    assert f"client_id={CLIENT_ID}" in html
    assert "chat:write" in html and "commands" in html and "files:write" in html


async def test_install_stores_the_workspace_and_welcomes_the_installer(slack, fake, core):
    await install(slack)
    exchanged = fake.calls_to("oauth.v2.access")
    assert len(exchanged) == 1 and exchanged[0].body["code"] == "code-1"
    stored = await core.store.find_installation(None, SECOND_TEAM)
    assert stored is not None and stored["bot_token"] == OAUTH_TOKEN
    assert await core.store.server("slack", SECOND_TEAM) is not None
    welcome = await fake.next("chat.postMessage")
    assert welcome.body["channel"] == ADMIN and welcome.token == OAUTH_TOKEN


async def test_install_with_a_wrong_state_stores_nothing(slack, fake, core):
    await slack.http.get("/slack/install")
    back = await slack.http.get(
        "/slack/oauth_redirect?code=code-1&state=forged",
        headers={"Cookie": "slack-app-oauth-state=forged"},
    )
    assert back.status == 401
    assert not fake.calls_to("oauth.v2.access")
    assert await core.store.find_installation(None, SECOND_TEAM) is None


async def test_commands_from_an_installed_workspace_use_its_token(slack, fake):
    await install(slack)
    answer = await slack.answer("/trendbot-config", "channel <#C0200|alerts>", team=SECOND_TEAM)
    assert "<#C0200>" in str(answer["blocks"])
    assert fake.calls_to("users.info")[-1].token == OAUTH_TOKEN


async def test_alerts_find_the_workspace_of_their_channel(slack, fake, core, adapter, clock):
    await install(slack)
    await slack.answer("/trendbot-config", "channel <#C0200|alerts>", team=SECOND_TEAM)
    card = Card(title="⚡ Surprise", text="#8 NEW")
    alert = Alert(
        "slack", SECOND_TEAM, "C0200", ChartKey("US", "films"), date(2022, 6, 26), "X", "s", card
    )
    await core.store.enqueue([alert], clock())
    report = await Notifier(core.store, {"slack": adapter}, clock).drain()
    assert report.sent == 1
    posted = [c for c in fake.calls_to("chat.postMessage") if c.body["channel"] == "C0200"]
    assert len(posted) == 1 and posted[0].token == OAUTH_TOKEN
    # the explicit form, for a caller that knows the workspace
    await adapter.send_to(SECOND_TEAM, "C0200", card, "tb2")
    assert fake.calls_to("chat.postMessage")[-1].token == OAUTH_TOKEN
    with pytest.raises(ChannelUnavailable):
        await adapter.send("C0999", card, "tb3")


@pytest.mark.parametrize(
    "inner",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT2"]}},
    ],
)
async def test_uninstall_or_revocation_forgets_the_workspace(slack, fake, core, monkeypatch, inner):
    await install(slack)
    assert await core.store.find_installation(None, SECOND_TEAM) is not None
    removed = asyncio.Event()
    real = core.server_removed

    async def spy(platform: str, server_id: str) -> None:
        await real(platform, server_id)
        removed.set()

    monkeypatch.setattr(core, "server_removed", spy)
    await slack.event(inner, team=SECOND_TEAM)
    await asyncio.wait_for(removed.wait(), 5)
    assert await core.store.find_installation(None, SECOND_TEAM) is None
    assert await core.store.server("slack", SECOND_TEAM) is None


async def test_admin_notices_go_to_the_installer_with_the_workspace_token(slack, fake, adapter):
    await install(slack)
    await fake.next("chat.postMessage")  # the welcome
    await adapter.notify_admins(SECOND_TEAM, Card(title="trendbot alerts are paused"))
    told = await fake.next("chat.postMessage")
    assert told.body["channel"] == ADMIN and told.token == OAUTH_TOKEN
    assert told.body["blocks"][0]["text"]["text"] == "trendbot alerts are paused"
