"""Who is asking on Slack: the Context of a request, with users.info's admin flag and locale.

users.info is one Web API call (Tier 4, and a round trip before the ack), so its answers are
remembered a few minutes and asked for only where they matter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_install import server_id_for
from adapters.slack_outbound import FAILED, PLATFORM
from bot.asks import Context
from bot.config import SlackConfig

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 300.0
USERS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class SlackUser:
    admin: bool
    locale: str  # as Slack says it, "pt-BR"; "" when unknown
    until: float  # remembered until then (clock seconds)


class SlackPeople:
    """Contexts for requests; users.info answers kept per (workspace, user) for a while."""

    def __init__(self, config: SlackConfig, clock: Callable[[], datetime]) -> None:
        self._config = config
        self._clock = clock
        self._users: dict[tuple[str, str], SlackUser] = {}  # (workspace, user) → users.info

    def forget(self, server_ids: Iterable[str]) -> None:
        """Workspaces that uninstalled the app: nothing about their people is kept."""
        gone = set(server_ids)
        self._users = {k: v for k, v in self._users.items() if k[0] not in gone}

    async def context(
        self,
        context: AsyncBoltContext,
        client: AsyncWebClient,
        *,
        admin: bool = True,
        learn: bool = False,
    ) -> Context:
        """Who asked where, and their language when known.

        users.info (with the user's locale) is called only where it is worth it: for admin
        answers (settings, App Home) and, with `learn`, replies that are not racing Slack's 3 s
        ack (mentions, DMs). Slash commands on the fast path use what an earlier call learned.
        An admin's language stands for the workspace's (Slack tells apps none of its own).
        """
        server_id = server_id_for(context.enterprise_id, context.team_id)
        user_id = context.user_id or ""
        channel = context.channel_id or ""
        known = self._users.get((server_id, user_id))
        if admin and not learn and user_id in self._config.admin_user_ids:
            # listed admins need no users.info; they get their language once an answer learns it
            return Context(
                PLATFORM, server_id, channel, user_id, True, known.locale if known else ""
            )
        if admin or learn:
            user = await self.user(client, server_id, user_id)
            is_admin = admin and (user.admin or user_id in self._config.admin_user_ids)
            return Context(PLATFORM, server_id, channel, user_id, is_admin, user.locale,
                           user.locale if user.admin else "")  # fmt: skip
        return Context(PLATFORM, server_id, channel, user_id, False, known.locale if known else "")

    async def user(self, client: AsyncWebClient, server_id: str, user_id: str) -> SlackUser:
        """Workspace admin/owner and locale per users.info; remembered for a few minutes."""
        if not user_id:
            return SlackUser(False, "", 0.0)
        now = self._clock().timestamp()
        cached = self._users.get((server_id, user_id))
        if cached is not None and cached.until > now:
            return cached
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except FAILED as exc:
            log.warning("Slack: users.info failed for %s; treating as non-admin: %s", user_id, exc)
            return SlackUser(False, cached.locale if cached else "", 0.0)
        found = response.get("user") or {}
        user = SlackUser(
            bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner")),
            str(found.get("locale") or ""),
            now + USER_CACHE_SECONDS,
        )
        if len(self._users) > USERS_KEPT:
            self._users.clear()
        self._users[(server_id, user_id)] = user
        return user
