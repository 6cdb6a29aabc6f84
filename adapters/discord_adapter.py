"""The Discord adapter: discord.py slash commands, mentions, alerts and guild lifecycle ↔ the Core.

A translator only. Discord events become `core.run/answer/complete/server_*` calls and the Cards
that come back become embeds (adapters/discord_render.py). The one text of its own is the command
schema Discord requires (its descriptions come from bot.words.about.COMMAND_TEXT). Admin = Manage
Server: the /config group is hidden from others by `default_permissions`, and the core refuses
non-admins by `is_admin`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord_commands import CatalogTranslator, commands
from adapters.discord_gateway import (
    IDENTIFY_INTERVAL,
    IDENTIFY_PACE,
    INVALID_LIMIT,
    IdentifyGate,
    InvalidRequestGuard,
    ShardPlan,
)
from adapters.discord_render import render, to_choices
from bot.config import DiscordConfig
from bot.core import Core
from bot.errors import ChannelUnavailable, ConfigError, RateLimited, TransientDeliveryError
from bot.models import Card, Choice, Context
from bot.words.errors import internal_error_card

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_MAX = 25
MAX_EMBEDS = 10  # per message (Discord's documented limit)
HISTORY_LIMIT = 50  # recent messages read to tell whether an alert is already in a channel
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


class DiscordAdapter:
    """The bot's Discord side. `await start()` logs in, syncs commands and connects; `close()`."""

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
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        for command in commands(self):
            self.tree.add_command(command)
        self.tree.error(self._on_command_error)
        self._translator = CatalogTranslator()
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

    # ---- alerts (ChatAdapter) ------------------------------------------------------------------

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post a card to a channel; `dedupe_key` becomes the message nonce Discord dedupes on."""
        await self.send_to(None, channel_id, card, dedupe_key)

    async def send_to(
        self, server_id: str | None, channel_id: str, card: Card, dedupe_key: str
    ) -> None:
        """Post a card to a channel of a guild (ServerSender): knowing the guild, the bot's
        permissions there are checked from the cache first."""
        await self._post(server_id, channel_id, render(card).kwargs(), dedupe_key)

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        """Several alerts as one message of up to 10 embeds (BundleSender); each embed is found
        again by its title and footer (was_sent), the message by the first alert's nonce."""
        embeds = [render(card).embed for card in cards[:MAX_EMBEDS]]
        await self._post(server_id, channel_id, {"embeds": embeds}, dedupe_keys[0])

    async def _post(
        self, server_id: str | None, channel_id: str, parts: dict[str, Any], dedupe_key: str
    ) -> None:
        if not channel_id.isdigit():
            raise ChannelUnavailable(f"not a Discord channel id: {channel_id[:40]!r}")
        if self.client.is_closed() or self.client.user is None:
            raise TransientDeliveryError("the Discord client is not logged in")
        pause = self._guard.pause()
        if pause > 0:  # near the count at which Discord bans the IP: hold alerts, not commands
            raise RateLimited("Discord: too many refused requests lately", retry_after=pause)
        missing = self._missing_permissions(server_id, int(channel_id))
        if missing:
            raise ChannelUnavailable(f"Discord: missing permission {missing} in the channel")
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            await channel.send(**parts, nonce=_nonce(dedupe_key))
        except discord.RateLimited as exc:
            raise RateLimited(f"Discord rate limit: {exc}", retry_after=exc.retry_after) from exc
        except (discord.Forbidden, discord.NotFound) as exc:
            raise ChannelUnavailable(_reason(exc)) from exc
        except discord.DiscordServerError as exc:
            raise TransientDeliveryError(_reason(exc)) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:  # a 429 discord.py would not retry (no Via: a Cloudflare ban)
                after = float(exc.response.headers.get("Retry-After", 60))
                raise RateLimited(_reason(exc), retry_after=after) from exc
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc

    def _missing_permissions(self, server_id: str | None, channel_id: int) -> str | None:
        """A permission an alert needs that the bot lacks in a cached guild channel (else None);
        without Embed Links Discord would post the alert with its embed dropped."""
        guild = self.client.get_guild(int(server_id)) if server_id and server_id.isdigit() else None
        # (client.get_channel scans every guild: too slow for a fan-out to thousands)
        channel = guild.get_channel(channel_id) if guild is not None else None
        if not isinstance(channel, discord.abc.GuildChannel):
            return None  # not cached (or a DM): Discord will say
        allowed = channel.permissions_for(channel.guild.me)
        for name in ("view_channel", "send_messages", "embed_links"):
            if not getattr(allowed, name):
                return name.replace("_", " ").title()
        return None

    async def was_sent(self, channel_id: str, dedupe_key: str, card: Card) -> bool:
        """After a crash mid-send: is this alert already among the channel's recent messages?
        (SentLookup). Discord drops a repeated nonce only for a few minutes, so a later retry
        looks for the bot's own embed instead. When Discord will not tell (no Read Message
        History, channel gone), the send is recorded, not repeated."""
        me = self.client.user
        if not channel_id.isdigit() or me is None:
            return False
        wanted = render(card).embed
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            async for message in channel.history(limit=HISTORY_LIMIT):
                if message.author.id != me.id:
                    continue
                if message.nonce == _nonce(dedupe_key) or any(
                    e.title == wanted.title and e.footer.text == wanted.footer.text
                    for e in message.embeds
                ):
                    return True
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("cannot check Discord channel %s for %s (%s): recorded as sent, not "
                        "repeated", channel_id, dedupe_key, exc)  # fmt: skip
            return True
        return False

    async def notify_admins(self, server_id: str, card: Card) -> None:
        """Tell a guild's admins (alerts paused): in the channel where /config was last used,
        else the owner by DM (AdminNotifier)."""
        if not server_id.isdigit():
            return
        settings = await self._core.desk.server(PLATFORM, server_id)
        if (
            settings is not None
            and settings.admin_channel_id
            and settings.admin_channel_id.isdigit()
        ):
            channel = self.client.get_partial_messageable(int(settings.admin_channel_id))
            try:
                await channel.send(**render(card).kwargs())
                return
            except discord.HTTPException as exc:
                log.info("could not post in guild %s's config channel: %s", server_id, exc)
        guild = self.client.get_guild(int(server_id))
        owner_id = guild.owner_id if guild is not None else None
        if owner_id is None:
            log.info("no channel or owner to tell about paused alerts in guild %s", server_id)
            return
        # no member cache without the members intent: open the DM by id alone
        try:
            dm = await self.client.create_dm(discord.Object(id=owner_id))
            await dm.send(**render(card).kwargs())
        except discord.Forbidden as exc:  # 50007: the owner accepts no DMs from the bot
            log.info("could not DM guild %s's owner: %s", server_id, _reason(exc))

    # ---- inbound -------------------------------------------------------------------------------

    async def _answer_command(
        self,
        interaction: discord.Interaction,
        name: str,
        options: Mapping[str, object],
        *,
        defer: bool = True,
    ) -> None:
        """Run a slash command through the core and reply; deferred first when it may be slow."""
        private = name.startswith("config")  # settings replies are for the admin alone
        if defer:
            await interaction.response.defer(ephemeral=private, thinking=True)
        card = await self._core.run(name, options, context_of(interaction))
        await self._reply(interaction, card, deferred_privately=private)

    async def _reply(
        self, interaction: discord.Interaction, card: Card, *, deferred_privately: bool = False
    ) -> None:
        out = render(card)
        if not interaction.response.is_done():
            await interaction.response.send_message(**out.kwargs(), ephemeral=out.ephemeral)
            return
        if out.ephemeral and not deferred_privately:
            # a public "thinking…" message cannot become private: remove it and answer in a
            # private followup instead
            await interaction.delete_original_response()
            await interaction.followup.send(**out.kwargs(), ephemeral=True)
            return
        # Discord: a deferred response is completed by editing the original response
        await interaction.edit_original_response(**out.edit_kwargs())

    async def _complete(
        self, interaction: discord.Interaction, option: str, current: str
    ) -> list[app_commands.Choice[str]]:
        return to_choices(await self._core.complete(option, current, context_of(interaction)))

    async def _complete_list(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Region suggestions for the last item of a comma-separated list."""
        head, comma, last = current.rpartition(",")
        found = await self._core.complete("region", last.strip(), context_of(interaction))
        if not comma:
            return to_choices(found)
        done = head.strip() + ", "
        return to_choices([Choice(done + c.name, done + c.value) for c in found])

    async def on_message(self, message: discord.Message) -> None:
        """A mention or a DM: "should I watch X?" gets a verdict, anything else the help card."""
        me = self.client.user
        if message.author.bot or me is None:
            return
        if message.guild is not None and not any(u.id == me.id for u in message.mentions):
            return
        author = message.author
        ctx = Context(
            PLATFORM,
            str(message.guild.id) if message.guild else f"dm:{author.id}",
            str(message.channel.id),
            str(author.id),
            is_admin=isinstance(author, discord.Member) and author.guild_permissions.manage_guild,
            # a message says nothing of its author's language; the server's is known
            server_locale=str(message.guild.preferred_locale) if message.guild else "",
        )
        try:
            async with message.channel.typing():
                card = await self._core.answer(message.content, ctx)
                card = card or await self._core.run("help", {}, ctx)
            kwargs = render(card).kwargs()
            # a reply needs Read Message History; without it, answer without the reference
            if _may_read_history(message.channel):
                kwargs["reference"] = message.to_reference(fail_if_not_exists=False)
            await message.channel.send(**kwargs)
        except discord.HTTPException as exc:
            log.warning("could not answer in Discord channel %s: %s", message.channel.id, exc)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Post the core's how-to-configure card where the bot may write."""
        card = await self._core.server_joined(PLATFORM, str(guild.id), str(guild.preferred_locale))
        me = self.client.user
        channel = _welcome_channel(guild, me.id) if me else None
        if channel is None:
            log.info("joined guild %s but may not post in any of its channels", guild.id)
            return
        try:
            await channel.send(**render(card).kwargs())
        except discord.HTTPException as exc:
            log.warning("could not post the welcome note in guild %s: %s", guild.id, exc)

    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        """A guild's admins changed its language: alerts follow (unless trendbot's is pinned)."""
        if before.preferred_locale != after.preferred_locale:
            await self._core.server_locale(PLATFORM, str(after.id), str(after.preferred_locale))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked, banned or the guild deleted: forget its settings and subscriptions."""
        await self._core.server_removed(PLATFORM, str(guild.id))

    async def _on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, discord.NotFound) and cause.code == 10062:
            log.warning("Discord interaction %s expired before it was answered", interaction.id)
            return
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error("Discord command /%s failed", name, exc_info=error)
        try:
            apology = await self._core.worded(context_of(interaction), internal_error_card)
            await self._reply(interaction, apology)
        except discord.HTTPException as exc:
            log.warning("could not report the failure to the user: %s", exc)


def context_of(interaction: discord.Interaction) -> Context:
    """Who asked where, and in which languages: the user's client and the guild's setting."""
    guild_id = interaction.guild_id
    return Context(
        PLATFORM,
        str(guild_id) if guild_id else f"dm:{interaction.user.id}",
        str(interaction.channel_id or ""),
        str(interaction.user.id),
        is_admin=guild_id is not None and interaction.permissions.manage_guild,
        locale=str(interaction.locale),
        server_locale=str(interaction.guild_locale) if interaction.guild_locale else "",
    )


def _welcome_channel(guild: discord.Guild, bot_id: int) -> discord.TextChannel | None:
    """The system channel if the bot may post there, else the first text channel it may."""
    me = guild.get_member(bot_id)
    if me is None:
        return None
    candidates = [guild.system_channel, *sorted(guild.text_channels, key=lambda c: c.position)]
    for channel in candidates:
        if channel is None:
            continue
        allowed = channel.permissions_for(me)
        if allowed.view_channel and allowed.send_messages and allowed.embed_links:
            return channel
    return None


def _may_read_history(channel: Any) -> bool:
    if not isinstance(channel, discord.abc.GuildChannel):
        return True  # DMs
    return bool(channel.permissions_for(channel.guild.me).read_message_history)


def _nonce(dedupe_key: str) -> str:
    """Discord nonces are at most 25 characters; longer keys are hashed down."""
    if len(dedupe_key) <= NONCE_MAX:
        return dedupe_key
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:NONCE_MAX]


def _reason(exc: discord.HTTPException) -> str:
    """A short factual reason, e.g. "Discord 403 Forbidden: Missing Permissions (code 50013)"."""
    what = f": {exc.text}" if exc.text else ""
    return f"Discord {exc.status} {exc.response.reason}{what} (code {exc.code})"
