"""Discord → the Core: slash commands and their replies, autocomplete, mentions and DMs, and the
guild lifecycle (join, language change, removal).

A mixin of DiscordAdapter (adapters/discord_adapter.py); the command schema is in
adapters/discord_commands.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from adapters.discord_alerts import PLATFORM
from adapters.discord_render import render, to_choices
from bot.asks import Context
from bot.cards import Card, Choice
from bot.core import Core
from bot.words.errors import internal_error_card

log = logging.getLogger(__name__)


class DiscordInbound:
    """The inbound side of DiscordAdapter: what Discord sends, turned into core calls."""

    client: discord.AutoShardedClient
    _core: Core

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
