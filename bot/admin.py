"""Per-server configuration (admins only): regions, alert channel, threshold, categories, digest,
language, show, and forget (erase the server's data).

The caller (Core) has already checked that the user is an admin; this module applies the change,
and reports source health alongside the settings so admins see why alerts may be quiet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot import polling, regions
from bot.asks import (
    AdminCommand,
    ConfigChannel,
    ConfigDigest,
    ConfigForget,
    ConfigLanguage,
    ConfigRegions,
    ConfigShow,
    ConfigThreshold,
    Context,
    SettingsForm,
)
from bot.cards import Card
from bot.commands import check_threshold, parse_language
from bot.config import AlertsConfig
from bot.errors import UserError
from bot.models import ServerSettings
from bot.polling import PollSettings
from bot.store import Store
from bot.words.common import config_command
from bot.words.i18n import _, choose, language_name, speaking
from bot.words.settings import (
    FORM,
    SETTINGS_SAVED,
    config_card,
    config_done,
    forget_preview_card,
    forgotten_card,
    health_lines,
    publication_text,
)

log = logging.getLogger(__name__)

MAX_REGIONS = 25


class Admin:
    def __init__(
        self,
        store: Store,
        defaults: AlertsConfig,
        clock: Callable[[], datetime],
        polling: PollSettings | None = None,
    ) -> None:
        self._store = store
        self.defaults = defaults
        self._clock = clock
        self._polling = polling or PollSettings()

    async def show(self, settings: ServerSettings) -> Card:
        """The settings card with each source's health and the next expected publication."""
        health = health_lines(await self._store.all_source_health())
        history = await self._store.publications(None, self._polling.learn_weeks)
        held = await self._store.latest_week()
        outlook = polling.plan(history, None, self._clock(), self._polling, held)
        return config_card(settings, health, publication_text(outlook))

    async def ensure(self, platform: str, server_id: str) -> ServerSettings:
        """The server's settings, created with the defaults on first use."""
        found = await self._store.server(platform, server_id)
        if found is not None:
            return found
        settings = ServerSettings(
            platform,
            server_id,
            channel_id=None,
            threshold=self.defaults.default_threshold,
            categories=self.defaults.default_categories,
        )
        await self._store.save_server(settings, self._clock())
        return settings

    async def apply_form(self, form: SettingsForm, ctx: Context) -> Card:
        """Apply a whole submitted form: the region set is replaced, other fields updated."""
        # check every field before writing any, so a bad form changes nothing
        wanted: tuple[str, ...] | None = None
        if form.regions is not None:
            wanted = tuple(dict.fromkeys(regions.resolve_region(r) for r in form.regions))
            if len(wanted) > MAX_REGIONS:
                raise _too_many()
        if form.threshold_text is not None:
            raise UserError(_(FORM.invalid_threshold))
        if form.threshold is not None:
            check_threshold(form.threshold)
        language = parse_language(form.language) if form.language is not None else None
        settings = await self.ensure(ctx.platform, ctx.server_id)
        now = self._clock()
        if wanted is not None:
            gone = [r for r in settings.regions if r not in wanted]
            await self._store.remove_regions(ctx.platform, ctx.server_id, gone)
            await self._store.add_regions(ctx.platform, ctx.server_id, wanted, now)
            settings = await self.ensure(ctx.platform, ctx.server_id)
        if form.channel_id is not None and form.channel_id != settings.channel_id:
            settings = replace(settings, channel_id=form.channel_id, disabled_reason=None)
        if form.threshold is not None:
            settings = replace(settings, threshold=form.threshold)
        if form.categories:
            settings = replace(settings, categories=form.categories)
        if language is not None:
            settings = replace(settings, language=language)
        await self._store.save_server(settings, now)
        saved = await self.ensure(ctx.platform, ctx.server_id)
        with speaking(_reply_language(saved, ctx)):  # a new language answers in itself
            return config_done(_(SETTINGS_SAVED), saved)

    async def configure(self, command: AdminCommand, ctx: Context) -> Card:
        if isinstance(command, ConfigForget):  # before ensure(), which would save the server
            return await self.forget(command, ctx)
        settings = await self.ensure(ctx.platform, ctx.server_id)
        now = self._clock()
        if ctx.channel_id and ctx.channel_id != settings.admin_channel_id:
            # remembered so admins can be told here if alerts ever have to pause
            settings = replace(settings, admin_channel_id=ctx.channel_id)
            # that column alone: a whole-row save here would undo a concurrent command's change
            await self._store.set_admin_channel(ctx.platform, ctx.server_id, ctx.channel_id, now)
        if isinstance(command, ConfigShow):
            return await self.show(settings)
        if isinstance(command, ConfigRegions):
            if command.action == "list":
                return config_card(settings)
            codes = tuple(dict.fromkeys(regions.resolve_region(r) for r in command.regions))
            if command.action == "add":
                if len(set(settings.regions) | set(codes)) > MAX_REGIONS:
                    raise _too_many()
                added = await self._store.add_regions(ctx.platform, ctx.server_id, codes, now)
                message = (
                    _("Now following {regions}; alerts start with the next new week").format(
                        regions=_names(added)
                    )
                    if added
                    else _("Already following {regions}").format(regions=_names(codes))
                )
            else:
                removed = await self._store.remove_regions(ctx.platform, ctx.server_id, codes)
                message = (
                    _("Stopped following {regions}").format(regions=_names(codes))
                    if removed
                    else _("Nothing to remove")
                )
            settings = await self.ensure(ctx.platform, ctx.server_id)
            if not settings.channel_id:
                message += " — " + _("set an alert channel with {command} channel").format(
                    command=config_command(ctx.platform)
                )
            return config_done(message, settings)
        if isinstance(command, ConfigChannel):
            settings = replace(settings, channel_id=command.channel_id, disabled_reason=None)
            message = _("Alerts will go to <#{channel}>").format(channel=command.channel_id)
        elif isinstance(command, ConfigThreshold):
            settings = replace(settings, threshold=command.value)
            message = _("Alert threshold set to {value}/100").format(value=command.value)
        elif isinstance(command, ConfigDigest):
            settings = replace(settings, digest=command.enabled)
            message = _("Weekly digest on") if command.enabled else _("Weekly digest off")
        elif isinstance(command, ConfigLanguage):
            settings = replace(settings, language=command.language)
            # the confirmation already speaks the new language (or the asker's, for automatic)
            with speaking(_reply_language(settings, ctx)):
                await self._store.save_server(settings, now)
                log.info("%s server %s: %s", ctx.platform, ctx.server_id, command)
                return config_done(
                    _("trendbot now speaks {language} here").format(
                        language=language_name(command.language)
                    )
                    if command.language
                    else _("trendbot now speaks each member's own language here"),
                    await self.ensure(ctx.platform, ctx.server_id),
                )
        else:
            settings = replace(settings, categories=command.categories)
            message = _("Categories updated")
        await self._store.save_server(settings, now)
        log.info("%s server %s: %s", ctx.platform, ctx.server_id, command)
        return config_done(message, await self.ensure(ctx.platform, ctx.server_id))

    async def forget(self, command: ConfigForget, ctx: Context) -> Card:
        """Erase the server's settings, regions and alerts; unconfirmed, say what would go."""
        if not command.confirmed:
            return forget_preview_card(ctx.platform)
        await self._store.remove_server(ctx.platform, ctx.server_id)
        log.info("%s server %s: data erased by an admin (config forget)", ctx.platform,
                 ctx.server_id)  # fmt: skip
        return forgotten_card(ctx.platform)


def _reply_language(settings: ServerSettings, ctx: Context) -> str:
    return choose(settings.language, ctx.locale, ctx.server_locale, settings.locale)


def _too_many() -> UserError:
    return UserError(_("A server can follow at most {limit} regions.").format(limit=MAX_REGIONS))


def _names(codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(regions.region_name(c) for c in codes)
