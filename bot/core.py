"""Core: the use cases every adapter calls — commands in, Cards out; ingest; server lifecycle.

Adapters hand over what the user typed plus who they are (Context) and get a Card back; they never
decide anything. UserError becomes an error card; anything unexpected is logged and becomes a
polite apology — never a stack trace in chat.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from bot import __version__, commands, regions
from bot.admin import Admin
from bot.analysis import Analyst
from bot.asks import (
    ADMIN_COMMANDS,
    About,
    Command,
    Context,
    Help,
    SettingsForm,
    Surprises,
    Trending,
    Watch,
)
from bot.cards import Card, Choice, Image
from bot.desk import Desk
from bot.errors import SourceError, UserError
from bot.judge.week import Judged
from bot.languages import Languages
from bot.metrics import Metrics
from bot.models import GLOBAL, ChartKey, Deployment, Scores, ServerSettings, Title, Verdict
from bot.recent import Recent
from bot.reviews import ScoreBook
from bot.sources.catalog import Catalog
from bot.sources.netflix import Fetched, iter_top10
from bot.store import SaveReport, Store
from bot.watching import Watching, newest_week
from bot.words.about import about_card, help_card, welcome_card
from bot.words.charts import surprises_card, trending_card
from bot.words.errors import (
    error_card,
    internal_error_card,
    no_data_card,
    refusal_card,
    source_error_card,
)
from bot.words.i18n import _, choose, current, speaking
from bot.words.settings import Home, form_labels, language_choices, region_choices

log = logging.getLogger(__name__)

CARDS_KEPT = 512  # rendered /trending answers kept (lists × languages × thresholds in use)
_COMMAND_WORDS = {"trending", "surprises", "watch", "help", "config", "trendbot-config",
                  "question", "about"}  # fmt: skip


class Core:
    """The bot's brain, shared by every adapter; create one in __main__ and pass it in."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        analyst: Analyst,
        book: ScoreBook,
        admin: Admin,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
        deployment: Deployment | None = None,
    ) -> None:
        self.store = store
        self.deployment = deployment or Deployment(__version__)
        # platform → the bot's invite link, which an adapter learns at login; /about shows admins
        self.invite_urls: dict[str, str] = {}
        self.metrics = metrics or Metrics()
        self._timers: dict[str, Any] = {}
        # settings and newest weeks are read once per few seconds, not per answer (bot.recent)
        self._settings: Recent[tuple[str, str], ServerSettings | None] = Recent()
        self._newest: Recent[ChartKey, date | None] = Recent()
        # a list's answer is the same for everyone asking in one language at one threshold
        self._cards: dict[tuple[ChartKey, date, int, str], tuple[tuple[Judged, ...], Card]] = {}
        self.languages = Languages(store, self._settings)
        self.analyst = analyst
        self.admin = admin
        self._catalog = catalog
        self._book = book
        self._clock = clock
        self.watching = Watching(store, catalog, analyst, book)
        self.desk = Desk(store, clock)

    # ---- data in --------------------------------------------------------------------------------

    async def ingest(self, fetched: Fetched) -> SaveReport:
        """Parse and store one downloaded file; raises SourceError (nothing stored) if it is bad."""
        charts = []
        # the database thread stores each batch while the next part of the file is parsed
        with _collector_paused():
            async with self.store.saving(fetched.url, self._clock()) as saver:
                today = self._clock().date()
                for chart in iter_top10(fetched.body or b"", origin=fetched.url, today=today):
                    charts.append(chart)
                    await saver.add(chart)
                    if saver.buffered >= saver.FLUSH_ROWS:
                        await saver.flush()
        report = saver.report
        self.analyst.added(charts, report)
        self._newest.clear()
        if report.changed:
            self.watching.charts_changed()
        return report

    # ---- entry points for adapters --------------------------------------------------------------

    async def run(self, name: str, options: Mapping[str, object], ctx: Context) -> Card:
        """A slash command with structured options (Discord)."""
        with self._timed(name):
            async with self.languages.replying(ctx):
                return await self._safely(lambda: self._parse_and_handle(name, options, None, ctx))

    async def run_text(self, name: str, text: str, ctx: Context) -> Card:
        """A command with free-form arguments (Slack slash commands, the console)."""
        with self._timed(name):
            async with self.languages.replying(ctx):
                return await self._safely(lambda: self._parse_and_handle(name, None, text, ctx))

    async def answer(self, text: str, ctx: Context) -> Card | None:
        """A mention or DM: answer "should I watch X?"-style questions; None for anything else."""
        question = commands.parse_question(text)
        if question is None:
            return None
        with self._timed("question"):
            async with self.languages.replying(ctx):
                return await self._safely(lambda: self.handle(question, ctx))

    def _timed(self, name: str) -> Any:
        timer = self._timers.get(name)  # the labelled child, found once per command name
        if timer is None:
            # label by the command's first word only: free text must not mint new label values
            word = name.strip().lstrip("/").split(" ")[0].casefold()
            known = word if word in _COMMAND_WORDS else "other"
            timer = self.metrics.command_seconds.labels(known)
            if len(self._timers) < len(_COMMAND_WORDS) * 4:
                self._timers[name] = timer
        return timer.time()

    async def complete(self, option: str, prefix: str, ctx: Context | None = None) -> list[Choice]:
        """Autocomplete for `region` and `title` options: at most 25 choices, from memory
        (region names in the asker's language)."""
        prefix = prefix[:100]
        if option == "region":
            if ctx is None:
                return region_choices(regions.complete_regions(prefix))
            async with self.languages.replying(ctx):
                return region_choices(regions.complete_regions(prefix))
        if option == "title":
            return self.watching.title_choices(prefix)
        return []

    async def scores(self, title: Title) -> Scores:
        """Every score for a title, asking online providers not asked this week."""
        return await self._book.scores(title, online=True)

    def region_options(self) -> list[Choice]:
        """Every region a server can follow (GLOBAL first), for select menus."""
        return region_choices(
            regions.complete_regions("", limit=len(regions.NETFLIX_COUNTRIES) + 1)
        )

    async def settings(self, platform: str, server_id: str) -> tuple[ServerSettings, Card]:
        """A server's settings and the card that shows them (with source health)."""
        settings = await self.admin.ensure(platform, server_id)
        return settings, await self.admin.show(settings)

    async def home(self, ctx: Context) -> Home:
        """Everything a settings page shows (Slack App Home), in the viewer's language."""
        async with self.languages.replying(ctx):
            settings, card = await self.settings(ctx.platform, ctx.server_id)
            return Home(settings, card, form_labels(), self.region_options(), language_choices())

    async def save_settings(self, form: SettingsForm, ctx: Context) -> Card:
        """Apply a settings form submitted from a UI; admins only."""
        async with self.languages.replying(ctx):
            if not ctx.is_admin:
                return refusal_card()
            try:
                return await self._safely(lambda: self.admin.apply_form(form, ctx))
            finally:
                self.languages.forget(ctx.platform, ctx.server_id)

    async def worded(self, ctx: Context, make: Callable[..., Card], *args: object) -> Card:
        """A card an adapter needs of its own (a failure, a picture it could not post), in the
        asker's language."""
        async with self.languages.replying(ctx):
            return make(*args)

    async def handle(self, command: Command, ctx: Context) -> Card:
        if isinstance(command, ADMIN_COMMANDS):
            if not ctx.is_admin:
                return refusal_card()
            try:
                return await self.admin.configure(command, ctx)
            finally:
                self.languages.forget(ctx.platform, ctx.server_id)
        if isinstance(command, Trending):
            return await self.trending(command, ctx)
        if isinstance(command, Surprises):
            return await self.surprises(command, ctx)
        if isinstance(command, Watch):
            return await self.watch(command, ctx)
        if isinstance(command, About):
            return await self.about(ctx)
        assert isinstance(command, Help)
        return help_card(ctx.platform)

    async def server_joined(self, platform: str, server_id: str, locale: str = "") -> Card:
        """A new server: its settings row, its platform's language, and the welcome note in it."""
        settings = await self.admin.ensure(platform, server_id)
        self.languages.forget(platform, server_id)
        if locale:
            await self.languages.reported(platform, server_id, locale)
        with speaking(choose(settings.language, locale)):
            return welcome_card(platform)

    async def server_locale(self, platform: str, server_id: str, locale: str) -> None:
        """The platform reports a server's language changed (alerts follow it unless pinned)."""
        await self.languages.reported(platform, server_id, locale)

    async def about(self, ctx: Context) -> Card:
        """Version, credits and privacy, with the asking server's settings (never created here)."""
        return about_card(
            self.deployment,
            await self.store.server(ctx.platform, ctx.server_id),
            ctx.platform,
            is_admin=ctx.is_admin,
            invite_url=self.invite_urls.get(ctx.platform),
        )

    async def server_removed(self, platform: str, server_id: str) -> None:
        await self.store.remove_server(platform, server_id)
        self.languages.forget(platform, server_id)
        log.info(
            "%s server %s removed; its settings and queued alerts are gone",
            platform,
            server_id,
        )

    # ---- use cases ------------------------------------------------------------------------------

    async def chart_for(
        self, command: Trending, ctx: Context
    ) -> tuple[ChartKey, date | None, tuple[Judged, ...]]:
        """The scored list a /trending asks for; empty when that list or week is not stored."""
        region = await self._region(command.region, ctx)
        if command.language and region != GLOBAL:
            raise UserError(
                _(
                    "Only the global lists are split by language; {region} has one {category} "
                    "list. Leave out the language, or ask for GLOBAL."
                ).format(region=regions.region_name(region), category=command.category)
            )
        language = command.language or ("english" if region == GLOBAL else "")
        key = ChartKey(region, command.category, language)
        week = command.week or await self._newest.get(key, lambda: self.store.latest_week(key))
        entries = await self.analyst.chart(key, week) if week else None
        return key, week, entries or ()

    async def trending(self, command: Trending, ctx: Context) -> Card:
        key, week, entries = await self.chart_for(command, ctx)
        if not entries or week is None:
            return no_data_card(key, command.week)
        threshold = await self.threshold(ctx)
        memo = (key, week, threshold, current())
        kept = self._cards.get(memo)
        if kept is not None and kept[0] is entries:  # the same analysis: the same answer
            return kept[1]
        card = trending_card(key, week, entries, threshold)
        if len(self._cards) >= CARDS_KEPT:
            self._cards.clear()
        self._cards[memo] = (entries, card)
        return card

    async def surprises(self, command: Surprises, ctx: Context) -> Card:
        region = await self._region(command.region, ctx)
        week = command.week or await self.newest_week(region)
        if week is None:
            return no_data_card(ChartKey(region, "films"), None)
        threshold = await self.threshold(ctx)
        found = [
            entry
            for key, entries in (await self.analyst.week(week)).items()
            if key.region == region
            for entry in entries
            if entry.surprise.alertable and entry.surprise.score >= threshold
        ]
        found.sort(key=lambda e: -e.surprise.score)
        return surprises_card(region, week, found[:10], threshold)

    async def watch(self, command: Watch, ctx: Context) -> Card:
        region = await self._region(command.region, ctx)
        found = await self.watching.find_title(command.query)
        if isinstance(found, Card):
            return found
        return await self.watching.verdict_card(found, region, picture=ctx.pictures)

    async def find_title(self, query: str) -> Title | Card:
        """The one title a query means, or a Card with a pick list or suggestions."""
        return await self.watching.find_title(query)

    async def verdict_for(
        self, title: Title, region: str, *, picture: bool = True
    ) -> tuple[Verdict, date | None, Image | None]:
        """The verdict on one title for a region, with its rank-history picture if it charted
        (and one is wanted)."""
        return await self.watching.verdict_for(title, region, picture=picture)

    # ---- helpers --------------------------------------------------------------------------------

    async def _parse_and_handle(
        self,
        name: str,
        options: Mapping[str, object] | None,
        text: str | None,
        ctx: Context,
    ) -> Card:
        command = (
            commands.parse(name, options or {}) if text is None else commands.parse_text(name, text)
        )
        return await self.handle(command, ctx)

    async def _safely(self, work: Callable[[], Awaitable[Card]]) -> Card:
        try:
            return await work()
        except UserError as exc:
            return error_card(str(exc))
        except SourceError as exc:
            log.warning("source problem while answering: %s", exc)
            return source_error_card(str(exc))
        except Exception:
            log.exception("unexpected error while answering a command")
            return internal_error_card()

    async def _region(self, text: str | None, ctx: Context) -> str:
        if text:
            return regions.resolve_region(text)
        settings = await self._server(ctx)
        if settings and settings.regions:
            return settings.regions[0]
        return GLOBAL

    async def newest_week(self, region: str) -> date | None:
        """The newest week any of `region`'s lists holds: the feeds may lag one another."""
        return await newest_week(self.store, region)

    async def threshold(self, ctx: Context) -> int:
        """The asking server's alert threshold, or the configured default."""
        settings = await self._server(ctx)
        return settings.threshold if settings else self.admin.defaults.default_threshold

    async def _server(self, ctx: Context) -> ServerSettings | None:
        """The asking server's settings, as read within the last few seconds."""
        where = (ctx.platform, ctx.server_id)
        return await self._settings.get(where, lambda: self.store.server(*where))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection during a bulk load: it allocates 100,000s of rows that cannot form
    cycles, and each collection would rescan the growing heap (a fifth of the ingest time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
