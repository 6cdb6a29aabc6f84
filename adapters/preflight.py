"""`trendbot run --check --online` for the chat platforms: one real call per credential.

Discord: GET /users/@me with the bot token. Slack: auth.test with the bot token,
apps.connections.open with the app-level token (Socket Mode), and, for OAuth, oauth.v2.access with
a code that cannot be valid, which Slack answers `invalid_code` only when the client id and secret
are right. No message quotes a token.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_adapter import DEFAULT_API
from bot.config import DiscordConfig, SlackConfig
from bot.preflight import Check

DISCORD_API = "https://discord.com/api/v10"
_FAILED = (SlackClientError, aiohttp.ClientError, TimeoutError)


async def check_discord(config: DiscordConfig, session: aiohttp.ClientSession) -> Check:
    """Who the bot token logs in as (the same first call discord.py's login makes)."""
    name = "Discord (DISCORD_TOKEN)"
    url = (config.api_base or DISCORD_API).rstrip("/") + "/users/@me"
    try:
        async with session.get(
            url,
            headers={"Authorization": f"Bot {config.token}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            status = response.status
            me = await response.json(content_type=None) if status == 200 else {}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check(name, False, f"Discord could not be reached ({type(exc).__name__})")
    if status == 401:
        return Check(name, False, "the token was refused (401 Unauthorized): reset it in the "
                     "Developer Portal → Bot")  # fmt: skip
    if status != 200 or not isinstance(me, dict):
        return Check(name, False, f"Discord answered HTTP {status}")
    tag = me.get("username", "?")
    if me.get("discriminator") not in (None, "0", "0000"):
        tag += f"#{me['discriminator']}"
    return Check(name, True, f"logged in as {tag} (user id {me.get('id', '?')})")


async def check_slack(config: SlackConfig, session: aiohttp.ClientSession) -> list[Check]:
    """One call per Slack credential the configured mode uses."""
    base = config.api_base or DEFAULT_API
    found: list[Check] = []
    if config.bot_token:
        client = AsyncWebClient(token=config.bot_token, base_url=base, session=session, timeout=10)
        found.append(await _auth_test(client))
    if config.mode == "socket" and config.app_token:
        client = AsyncWebClient(token=config.app_token, base_url=base, session=session, timeout=10)
        found.append(await _connections_open(client))
    if config.mode == "http" and config.client_id and config.client_secret:
        client = AsyncWebClient(base_url=base, session=session, timeout=10)
        found.append(await _oauth_client(client, config.client_id, config.client_secret))
    return found


async def _auth_test(client: AsyncWebClient) -> Check:
    name = "Slack (SLACK_BOT_TOKEN)"
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        return Check(name, False, f"auth.test refused it ({_error(exc)})")
    except _FAILED as exc:
        return Check(name, False, f"Slack could not be reached ({type(exc).__name__})")
    return Check(name, True, f"bot {answer.get('user', '?')} in workspace "
                 f"{answer.get('team', '?')} ({answer.get('team_id', '?')})")  # fmt: skip


async def _connections_open(client: AsyncWebClient) -> Check:
    name = "Slack (SLACK_APP_TOKEN)"
    try:
        await client.apps_connections_open(app_token=client.token or "")
    except SlackApiError as exc:
        return Check(name, False, f"apps.connections.open refused it ({_error(exc)})")
    except _FAILED as exc:
        return Check(name, False, f"Slack could not be reached ({type(exc).__name__})")
    return Check(name, True, "Socket Mode connections can open")


async def _oauth_client(client: AsyncWebClient, client_id: str, client_secret: str) -> Check:
    name = "Slack (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)"
    try:
        await client.oauth_v2_access(
            client_id=client_id, client_secret=client_secret, code="trendbot-preflight"
        )
    except SlackApiError as exc:
        if _error(exc) == "invalid_code":  # the client was accepted; only our code was not
            return Check(name, True, "Slack accepts the client id and secret")
        return Check(name, False, f"oauth.v2.access refused them ({_error(exc)})")
    except _FAILED as exc:
        return Check(name, False, f"Slack could not be reached ({type(exc).__name__})")
    return Check(name, True, "Slack accepts the client id and secret")


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {exc.response.status_code}")
