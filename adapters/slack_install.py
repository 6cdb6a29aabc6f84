"""Slack installs: OAuth settings and scopes, installations and `state` values kept in our database
(any replica can finish an install), and how a workspace (or an Enterprise Grid org's workspace)
becomes a core server id.

slack_sdk defines the store interfaces; this module maps them onto `Store`'s slack_installations
table, so installations survive restarts and any number of workspaces can install the app.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.config import SlackConfig
from bot.store.installs import Installs

log = logging.getLogger(__name__)

# What the app asks a workspace for, each for a call it makes or an event it receives (the fake
# Slack refuses a call whose scope is missing); adapters/slack_manifest.yml declares the same list.
BOT_SCOPES = (
    "app_mentions:read",  # app_mention events
    "channels:history", "groups:history",  # was_sent reads alert channels' recent messages
    "chat:write", "chat:write.public",  # answers and alerts, also to public channels not joined
    "commands",  # slash commands
    "files:write",  # the rank-history picture
    "im:history",  # message.im events: questions in a DM
    "users:read",  # users.info: is the user a workspace admin (settings only)
)  # fmt: skip
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

_FIELDS = frozenset(inspect.signature(Installation.__init__).parameters) - {"self"}


class StoreInstallationStore(AsyncInstallationStore):
    """Installations kept in `slack_installations`; one row per installing user of a workspace.

    Every row carries the workspace's bot token, so the newest row answers "which bot token for
    this workspace?" and deleting the bot deletes all of the workspace's rows.
    """

    def __init__(self, store: Installs, clock: Callable[[], datetime]) -> None:
        self.records = store
        self._store = store
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        data = _json_ready(installation)
        await self._store.save_installation(
            installation.enterprise_id,
            None if installation.is_enterprise_install else installation.team_id,
            installation.user_id,
            data,
            self._clock(),
        )
        log.info(
            "Slack installation saved for team %s (enterprise %s)",
            installation.team_id,
            installation.enterprise_id,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if is_enterprise_install:
            team_id = None  # an org-wide install is stored for the whole enterprise
        data = await self._store.find_installation(enterprise_id, team_id, user_id)
        return _installation(data) if data else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found.to_bot() if found is not None and found.bot_token else None

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a refreshed (rotated) bot token in the workspace's newest installation."""
        found = await self.async_find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if found is None:
            return
        found.bot_token = bot.bot_token
        found.bot_refresh_token = bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        await self.async_save(found)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.delete_installations(enterprise_id, team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """Forget a user's installation (their token was revoked) but not the workspace's bot:
        when that row is the one holding the bot token, a bot-only copy takes its place."""
        if user_id:
            newest = await self.async_find_installation(enterprise_id=enterprise_id,
                                                        team_id=team_id)  # fmt: skip
            if newest is not None and newest.bot_token and newest.user_id == user_id:
                bot_only = _installation(
                    {
                        **newest.to_dict_for_copying(),
                        "user_id": "",
                        "user_token": None,
                        "user_refresh_token": None,
                        "user_scopes": "",
                    }  # fmt: skip
                )
                await self._store.save_installation(
                    enterprise_id, None if newest.is_enterprise_install else team_id, None,
                    _json_ready(bot_only), self._clock(),
                )  # fmt: skip
        await self._store.delete_installations(enterprise_id, team_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.delete_installations(enterprise_id, team_id)
        log.info("Slack installation removed for team %s (enterprise %s)", team_id, enterprise_id)


class StoreStateStore(AsyncOAuthStateStore):
    """OAuth `state` values kept in the database for a few minutes, so the browser that starts
    an install may come back to any replica (or after a restart); each is good once."""

    def __init__(
        self, store: Installs, clock: Callable[[], datetime], expiration_seconds: int = 600
    ) -> None:
        self._store = store
        self._clock = clock
        self._lifetime = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self._store.issue_oauth_state(state, self._clock(), self._lifetime)
        return state

    async def async_consume(self, state: str) -> bool:
        return await self._store.consume_oauth_state(state, self._clock())


def _json_ready(installation: Installation) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in installation.to_dict_for_copying().items()
    }


def _installation(data: dict[str, Any]) -> Installation:
    known = {key: value for key, value in data.items() if key in _FIELDS}
    known["bot_scopes"] = known.get("bot_scopes") or ""
    known["user_scopes"] = known.get("user_scopes") or ""
    return Installation(**known)


def oauth_settings(
    config: SlackConfig,
    installs: StoreInstallationStore,
    clock: Callable[[], datetime],
    installed: Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]],
) -> AsyncOAuthSettings:
    """Bolt's OAuth flow over our stores; `installed` runs after a workspace installs the app."""
    return AsyncOAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installs,
        state_store=StoreStateStore(installs.records, clock),
        callback_options=AsyncCallbackOptions(success=installed, failure=_install_failed),
    )


async def _install_failed(args: AsyncFailureArgs) -> BoltResponse:
    log.info("Slack: an installation did not complete (%s)", args.reason)
    return await args.default.failure(args)


def server_id_for(enterprise_id: str | None, team_id: str | None) -> str:
    """The core's server id: the team id, prefixed "E…:" inside an Enterprise Grid org so alerts
    can find the org's installation again."""
    if enterprise_id and team_id:
        return f"{enterprise_id}:{team_id}"
    return team_id or enterprise_id or ""


def split_server_id(server_id: str) -> tuple[str | None, str | None]:
    enterprise, _, team = server_id.rpartition(":")
    return enterprise or None, team or None
