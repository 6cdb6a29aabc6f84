"""Alerts out to Discord: post one card or a bundle of embeds (nonce, permissions, refusals →
the core's delivery errors), find an alert again after a crash (was_sent), tell admins.

A mixin of DiscordAdapter (adapters/discord_adapter.py), which owns the client and the guard.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord
from discord.http import handle_message_parameters

from adapters.card_layouts import CardLayouts
from adapters.discord_gateway import InvalidRequestGuard
from adapters.discord_render import Rendered, render
from bot.cards import Card
from bot.core import Core
from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_MAX = 25
MAX_EMBEDS = 10  # per message (Discord's documented limit)
HISTORY_LIMIT = 50  # recent messages read to tell whether an alert is already in a channel


class DiscordAlerts:
    """The alert side of DiscordAdapter (ChatAdapter, ServerSender, BundleSender, SentLookup,
    AdminNotifier)."""

    client: discord.AutoShardedClient
    _core: Core
    _guard: InvalidRequestGuard
    _renders: CardLayouts[Rendered]

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post a card to a channel; `dedupe_key` becomes the message nonce Discord dedupes on."""
        await self.send_to(None, channel_id, card, dedupe_key)

    async def send_to(
        self, server_id: str | None, channel_id: str, card: Card, dedupe_key: str
    ) -> None:
        """Post a card to a channel of a guild (ServerSender): knowing the guild, the bot's
        permissions there are checked from the cache first."""
        await self._post(server_id, channel_id, self._renders(card).kwargs(), dedupe_key)

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        """Several alerts as one message of up to 10 embeds (BundleSender); each embed is found
        again by its title and footer (was_sent), the message by the first alert's nonce."""
        embeds = [self._renders(card).embed for card in cards[:MAX_EMBEDS]]
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
        try:
            # what channel.send posts, without building a Message from the answer (nothing
            # reads it; at a fan-out's rate that was a tenth of the bot's CPU)
            with handle_message_parameters(
                content=None, **parts, nonce=_nonce(dedupe_key),
                previous_allowed_mentions=self.client.allowed_mentions,
            ) as params:  # fmt: skip
                await self.client.http.send_message(int(channel_id), params=params)
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


def _nonce(dedupe_key: str) -> str:
    """Discord nonces are at most 25 characters; longer keys are hashed down."""
    if len(dedupe_key) <= NONCE_MAX:
        return dedupe_key
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:NONCE_MAX]


def _reason(exc: discord.HTTPException) -> str:
    """A short factual reason, e.g. "Discord 403 Forbidden: Missing Permissions (code 50013)"."""
    what = f": {exc.text}" if exc.text else ""
    return f"Discord {exc.status} {exc.response.reason}{what} (code {exc.code})"
