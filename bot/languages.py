"""Which language each answer and alert is in: the rules, over what the platforms report and what
a server's admins pinned (the words themselves are bot/words/).

A reply speaks the server's pinned language; else the asker's own (Discord's interaction locale,
Slack's user locale); else the server's (Discord's guild locale, the Slack installer's); else
English. An alert, digest or notice to a channel speaks the pinned language, else the server's.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from bot.asks import Context
from bot.models import ServerSettings
from bot.recent import Recent
from bot.store import Store
from bot.words.i18n import choose, speaking

log = logging.getLogger(__name__)


def for_channel(language: str, locale: str) -> str:
    """What a server's channel reads: its pinned language, else its platform's, else English."""
    return choose(language, locale)


class Languages:
    """Chooses the language per answer and keeps each server's platform language up to date."""

    def __init__(
        self, store: Store, recent: Recent[tuple[str, str], ServerSettings | None]
    ) -> None:
        self._store = store
        # (platform, server) → its settings row, shared with Core: a read per answer cost more
        # than the answer's own queries
        self._recent = recent

    async def for_reply(self, ctx: Context) -> str:
        """The language to answer `ctx`'s asker in (never raises: English at worst)."""
        try:
            known = await self._languages(ctx.platform, ctx.server_id)
        except Exception:  # the database is down: answer anyway, in the asker's language
            log.warning("could not read %s server %s's language", ctx.platform, ctx.server_id)
            return choose(ctx.locale, ctx.server_locale)
        pinned, reported = known or ("", "")
        if known is not None and ctx.server_locale and ctx.server_locale != reported:
            await self.reported(ctx.platform, ctx.server_id, ctx.server_locale)
            reported = ctx.server_locale
        return choose(pinned, ctx.locale, ctx.server_locale, reported)

    async def _languages(self, platform: str, server_id: str) -> tuple[str, str] | None:
        settings = await self._recent.get(
            (platform, server_id), lambda: self._store.server(platform, server_id)
        )
        return (settings.language, settings.locale) if settings is not None else None

    def forget(self, platform: str, server_id: str) -> None:
        """The server's settings changed here: read its languages afresh."""
        self._recent.forget((platform, server_id))

    async def reported(self, platform: str, server_id: str, locale: str) -> None:
        """The platform says what language a server speaks (a guild's locale changed, the Slack
        app was installed): remember it for alerts."""
        self.forget(platform, server_id)
        try:  # kept as reported ("ja" too: choose() passes over what trendbot does not speak)
            await self._store.set_server_locale(platform, server_id, locale)
        except Exception:  # best effort: the next answer tries again
            log.warning("could not record %s server %s's language", platform, server_id)

    def replying(self, ctx: Context) -> Replying:
        """Speak the asker's language inside an `async with` block."""
        return Replying(self, ctx)


class Replying:
    """`async with languages.replying(ctx) as chosen:` (a class, not @asynccontextmanager: it
    wraps every answer, and an async generator per answer cost more than the rest of it)."""

    __slots__ = ("_languages", "_ctx", "_speaking")
    _speaking: AbstractContextManager[str]

    def __init__(self, languages: Languages, ctx: Context) -> None:
        self._languages = languages
        self._ctx = ctx

    async def __aenter__(self) -> str:
        self._speaking = speaking(await self._languages.for_reply(self._ctx))
        return self._speaking.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self._speaking.__exit__(None, None, None)
