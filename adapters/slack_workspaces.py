"""Slack workspaces coming and going and their settings page: install, App Home, uninstall.

Installs greet the installer in their language; App Home shows the settings (editable by admins);
an uninstall or a revoked bot token erases the workspace (its settings, alerts and tokens).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_blocks import form_from_state, home_view
from adapters.slack_install import StoreInstallationStore, server_id_for
from adapters.slack_outbound import FAILED, PLATFORM, SlackSender
from adapters.slack_people import SlackPeople
from bot.asks import Context
from bot.cards import Card
from bot.core import Core

log = logging.getLogger(__name__)


class SlackWorkspaces:
    """The listeners for a workspace's lifecycle and its App Home."""

    def __init__(
        self,
        core: Core,
        people: SlackPeople,
        sender: SlackSender,
        installs: StoreInstallationStore | None,
        later: Callable[[Awaitable[None]], None],
    ) -> None:
        self.core = core
        self.people = people
        self.sender = sender
        self._installs = installs
        self._later = later  # runs work on after Slack's ack (see SlackAdapter._later)

    async def installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.is_enterprise_install:  # an org-wide install: no one workspace to set up
            log.info("Slack: installed org-wide in enterprise %s", installation.enterprise_id)
            return await args.default.success(args)
        server_id = server_id_for(installation.enterprise_id, installation.team_id)
        client = (
            self.sender.workspace_client(installation.bot_token) if installation.bot_token else None
        )
        # Slack tells apps no workspace language: the installer's stands for it
        locale = ""
        if client is not None and installation.user_id:
            locale = (await self.people.user(client, server_id, installation.user_id)).locale
        card = await self.core.server_joined(PLATFORM, server_id, locale)
        if client is not None and installation.user_id:
            await self.sender.reply(
                client, installation.user_id, installation.user_id, card, dm=True
            )
        return await args.default.success(args)

    async def on_home_opened(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        self._later(self._home_opened(context, client))

    async def _home_opened(self, context: AsyncBoltContext, client: AsyncWebClient) -> None:
        await self._publish_home(client, await self.people.context(context, client))

    async def on_save(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        self._later(self._save(body, context, client))

    async def _save(
        self, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        ctx = await self.people.context(context, client)
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        notice = await self.core.save_settings(form_from_state(values), ctx)
        await self._publish_home(client, ctx, notice)

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self.forget(context.enterprise_id, context.team_id)

    async def on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await self.forget(context.enterprise_id, context.team_id)
        elif self._installs is not None:
            for user_id in tokens.get("oauth") or ():
                await self._installs.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                )

    async def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        if self._installs is not None:
            await self._installs.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        if enterprise_id and not team_id:  # an org-wide uninstall: every workspace of the org
            gone = [server_id for server_id in await self.core.desk.server_ids(PLATFORM)
                    if server_id.startswith(f"{enterprise_id}:")]  # fmt: skip
        else:
            gone = [server_id_for(enterprise_id, team_id)]
        for server_id in gone:
            await self.core.server_removed(PLATFORM, server_id)
        self.people.forget(gone)

    async def _publish_home(
        self, client: AsyncWebClient, ctx: Context, notice: Card | None = None
    ) -> None:
        view = home_view(await self.core.home(ctx), editable=ctx.is_admin, notice=notice)
        try:
            await client.views_publish(user_id=ctx.user_id, view=view)
        except FAILED as exc:
            log.warning("Slack: could not publish App Home for %s: %s", ctx.user_id, exc)
