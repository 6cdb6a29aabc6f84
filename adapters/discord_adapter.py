"""The Discord adapter: the discord.py client's lifecycle (login, shards, command sync, close).

Alerts out live in adapters/discord_alerts.py, commands, mentions and guild events in
adapters/discord_inbound.py; DiscordAdapter joins them. A translator only: Discord events become
`core.run/answer/complete/server_*` calls and the Cards that come back become embeds
(adapters/discord_render.py). The one text of its own is the command schema Discord requires (its
descriptions come from bot.words.about.COMMAND_TEXT). Admin = Manage Server: the /config group is
hidden from others by `default_permissions`, and the core refuses non-admins by `is_admin`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.card_layouts import CardLayouts
from adapters.discord_alerts import MAX_EMBEDS, PLATFORM, DiscordAlerts
from adapters.discord_buckets import sweep_amortised
from adapters.discord_commands import CatalogTranslator, commands
from adapters.discord_gateway import (
    IDENTIFY_INTERVAL,
    IDENTIFY_PACE,
    INVALID_LIMIT,
    IdentifyGate,
    InvalidRequestGuard,
    ShardPlan,
)
from adapters.discord_inbound import DiscordInbound, context_of
from adapters.discord_render import render
from bot.config import DiscordConfig
from bot.core import Core
from bot.errors import ConfigError

__all__ = ["PERMISSIONS", "DiscordAdapter", "context_of", "intents", "invite_url"]

log = logging.getLogger(__name__)

CLOSE_GRACE = 10.0  # seconds close() waits for the gateway task before cancelling it
# What the bot needs in a channel: read it, post, embeds, the rank-history picture, and Read
# Message History, without which a reply to a mention is refused (160002) and was_sent is blind.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot to a server with exactly PERMISSIONS."""
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


def intents() -> discord.Intents:
    """Minimal, unprivileged: guild lifecycle, and messages for mentions and DMs."""
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True)


class DiscordAdapter(DiscordAlerts, DiscordInbound):
    """The bot's Discord side. `await start()` logs in, syncs commands and connects; `close()`.
    Alerts out: adapters/discord_alerts.py; commands, mentions, guild events in:
    adapters/discord_inbound.py."""

    platform = PLATFORM
    bundle_limit = MAX_EMBEDS

    def __init__(
        self,
        core: Core,
        config: DiscordConfig,
        *,
        shard_ids: Sequence[int] | None = None,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        max_ratelimit_timeout: float = 30.0,
        heartbeat_timeout: float = 60.0,
        identify_interval: float = IDENTIFY_INTERVAL,
        invalid_limit: int = INVALID_LIMIT,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        gateway: bool = True,  # False: log in for sending only (a worker role)
    ) -> None:
        """`shard_ids` (with `config.shard_count`) runs a slice of the shards (a gateway role);
        without a configured count the shard count comes from GET /gateway/bot at start."""
        if shard_ids and not config.shard_count:
            raise ConfigError("Discord shard ids need discord.shard_count as well")
        self._core = core
        self._config = config
        self._connect = gateway
        self._shard_ids = tuple(shard_ids) if shard_ids else None
        self._ready_timeout = ready_timeout
        self._identify_interval = identify_interval
        self._monotonic, self._sleep = monotonic, sleep
        self._gate = IdentifyGate(1, identify_interval, monotonic=monotonic, sleep=sleep)
        self._guard = InvalidRequestGuard(invalid_limit, clock=monotonic)
        self.plan: ShardPlan | None = None
        options: dict[str, Any] = {
            "intents": intents(),
            "guild_ready_timeout": guild_ready_timeout,
            "max_ratelimit_timeout": max_ratelimit_timeout,  # longer waits surface as RateLimited
            "heartbeat_timeout": heartbeat_timeout,
            "allowed_mentions": discord.AllowedMentions.none(),
            "http_trace": self._guard.trace_config(),
        }
        # always sharded: one shard is the smallest plan, and GET /gateway/bot decides the rest
        if self._shard_ids:
            options["shard_ids"] = list(self._shard_ids)
        self.client: discord.AutoShardedClient = discord.AutoShardedClient(
            shard_count=config.shard_count, **options
        )
        self.client.before_identify_hook = self._before_identify  # type: ignore[method-assign]
        sweep_amortised(self.client.http)  # a fan-out makes one rate-limit bucket per channel
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        for command in commands(self):
            self.tree.add_command(command)
        self.tree.error(self._on_command_error)
        self._translator = CatalogTranslator()
        self._renders = CardLayouts(render)  # a fan-out posts the same few cards
        for handler in (
            self.on_message,
            self.on_guild_join,
            self.on_guild_update,
            self.on_guild_remove,
        ):
            self.client.event(handler)
        self._gateway: asyncio.Task[None] | None = None
        self._sync_later: asyncio.Task[None] | None = None
        self._saved_endpoints: tuple[str, yarl.URL] | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while the gateway connection (every shard) is up and the cache is ready."""
        client = self.client
        if not self._connect:
            return not client.is_closed() and client.user is not None
        if client.is_closed() or not client.is_ready():
            return False
        return bool(client.shards) and not any(s.is_closed() for s in client.shards.values())

    async def start(self) -> None:
        """Log in, sync the slash commands and connect; returns once Discord says READY.

        Raises ConfigError for a missing or rejected token (or a refused intent) and TimeoutError
        when the gateway is not ready in time: `ready_timeout` seconds plus 5 s for each round of
        identifies the shards need (Discord allows one per `max_concurrency` bucket per 5 s).
        """
        if not self._config.token:
            raise ConfigError("DISCORD_TOKEN is not set")
        self._use_endpoints()
        plan: ShardPlan | None = None
        try:
            await self.client.login(self._config.token)
            if self._connect:
                plan = self.plan = await self._plan()
                await self.tree.set_translator(self._translator)
                await self.sync_commands()
        except discord.LoginFailure:
            await self.close()
            raise ConfigError("DISCORD_TOKEN was rejected by Discord (401 Unauthorized)") from None
        except BaseException:
            await self.close()
            raise
        if plan is None:  # a worker: logged in to send alerts, no gateway
            return
        if self.client.application_id is not None:
            log.info("invite trendbot to a server: %s", invite_url(self.client.application_id))
        self._gateway = asyncio.create_task(self.client.connect(), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        deadline = plan.ready_timeout(self._ready_timeout, self._identify_interval)
        await asyncio.wait({ready, self._gateway}, timeout=deadline, return_when="FIRST_COMPLETED")
        if ready.done():
            log.info("Discord ready as %s in %d guilds on %d of %d shards", self.client.user,
                     len(self.client.guilds), len(plan.shard_ids),
                     plan.shard_count)  # fmt: skip
            return
        ready.cancel()
        failure = self._gateway.exception() if self._gateway.done() else None
        self._gateway = None if failure else self._gateway
        await self.close()
        if isinstance(failure, discord.ConnectionClosed | discord.PrivilegedIntentsRequired):
            raise ConfigError(f"Discord refused the gateway connection: {failure}") from failure
        if failure is not None:
            raise failure
        raise TimeoutError(f"Discord gateway not ready after {deadline:g} s")

    async def _plan(self) -> ShardPlan:
        """Shards from GET /gateway/bot (a configured count wins) and the identify pacing."""
        recommended, _url, limits = await self.client.http.get_bot_gateway()
        plan = ShardPlan.decide(
            recommended, int(limits.get("max_concurrency", 1)), self._config.shard_count,
            self._shard_ids,
        )  # fmt: skip
        # discord.py asks GET /gateway/bot itself only when it has no count; it has one now
        self.client.shard_count = plan.shard_count
        self.client.shard_ids = list(plan.shard_ids)
        self._gate.max_concurrency = plan.max_concurrency
        return plan

    async def _before_identify(self, shard_id: int | None, *, initial: bool = False) -> None:
        # replaces discord.py's fixed 5 s between all shards with Discord's per-bucket rule
        await self._gate.wait(shard_id)
        if self._shard_ids:
            # a gateway process runs part of the shards: the others' IDENTIFYs count too, so
            # the turn is taken in the database all gateway processes share
            bucket = (shard_id or 0) % self._gate.max_concurrency
            wait = await self._core.desk.wait_for_turn(
                IDENTIFY_PACE.format(bucket=bucket), self._identify_interval
            )
            if wait > 0:
                await self._sleep(wait)

    async def sync_commands(self) -> None:
        """Publish the command schema: to each dev guild (instant) if listed, else globally.

        A rate limit longer than discord.py waits for is waited out in the background: the bot
        runs meanwhile with the commands Discord already has, and a restart does not crash-loop.
        """
        try:
            await self._sync()
        except discord.RateLimited as exc:
            log.warning("Discord rate-limits the command sync for %.0f s; syncing after that",
                        exc.retry_after)  # fmt: skip
            self._sync_later = asyncio.create_task(self._sync_after(exc.retry_after))

    async def _sync_after(self, delay: float) -> None:
        while True:
            await self._sleep(delay)
            try:
                await self._sync()
                return
            except discord.RateLimited as exc:
                delay = exc.retry_after
            except discord.HTTPException as exc:
                log.warning("the Discord command sync failed: %s", exc)
                return

    async def _sync(self) -> None:
        app_id = self.client.application_id
        assert app_id is not None, "login() sets the application id"
        http = self.client.http
        for guild_id in self._config.dev_guild_ids:
            self.tree.copy_global_to(guild=discord.Object(id=guild_id))
            payload = await self._schema(guild_id)
            await http.bulk_upsert_guild_commands(app_id, guild_id, payload=payload)
            log.info("synced %d Discord commands to guild %s", len(payload), guild_id)
        if not self._config.dev_guild_ids:
            payload = await self._schema(None)
            await http.bulk_upsert_global_commands(app_id, payload=payload)
            log.info("synced %d global Discord commands", len(payload))

    async def _schema(self, guild_id: int | None) -> list[dict[str, Any]]:
        """The commands as Discord wants them, with each language's descriptions (the
        translator), and `contexts`, not the deprecated `dm_permission` discord.py still adds."""
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        return [
            {k: v for k, v in (await command.get_translated_payload(self.tree, self._translator))
             .items() if k != "dm_permission"}
            for command in self.tree.get_commands(guild=guild)
        ]  # fmt: skip

    async def close(self) -> None:
        """Disconnect and restore discord.py's default endpoints; never waits forever on a
        gateway task that is still retrying a shard."""
        if self._sync_later is not None:
            self._sync_later.cancel()
        ready = self.client.is_ready()
        if not self.client.is_closed():
            try:
                await asyncio.wait_for(self.client.close(), CLOSE_GRACE)
            except TimeoutError:
                log.warning("closing the Discord connection took over %g s", CLOSE_GRACE)
        gateway, self._gateway = self._gateway, None
        if gateway is not None and not ready:
            gateway.cancel()  # a shard that never connected is retried forever by discord.py
        if gateway is not None:
            done, _ = await asyncio.wait({gateway}, timeout=CLOSE_GRACE)
            if not done:
                gateway.cancel()
                log.warning("the Discord gateway task did not stop in %g s; cancelled", CLOSE_GRACE)
            elif not gateway.cancelled() and gateway.exception() is not None:
                log.warning("the Discord gateway connection had failed: %s", gateway.exception())
        self._restore_endpoints()

    def _use_endpoints(self) -> None:
        # discord.py reads these process-global class attributes; close() puts them back.
        if self._saved_endpoints is None:
            self._saved_endpoints = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self._config.api_base:
            Route.BASE = self._config.api_base.rstrip("/")
        if self._config.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._config.gateway_url)

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints
            self._saved_endpoints = None
