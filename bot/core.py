"""Core: the use cases every adapter calls — commands in, Cards out; ingest; server lifecycle.

Adapters hand over what the user typed plus who they are (Context) and get a Card back; they never
decide anything. UserError becomes an error card; anything unexpected is logged and becomes a
polite apology — never a stack trace in chat.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from bot import __version__, commands, regions, verdict
from bot.admin import Admin
from bot.analysis import Analyst
from bot.errors import SourceError, UserError
from bot.judge.week import Judged
from bot.matching import search
from bot.metrics import Metrics
from bot.models import (
    ADMIN_COMMANDS,
    CATEGORIES,
    GLOBAL,
    About,
    Card,
    Category,
    ChartKey,
    Choice,
    Command,
    Context,
    Deployment,
    Help,
    Image,
    Movement,
    Scores,
    ServerSettings,
    SettingsForm,
    Surprises,
    Title,
    Trending,
    Verdict,
    Watch,
)
from bot.reviews import ScoreBook
from bot.sources.catalog import Catalog
from bot.sources.netflix import Fetched, iter_top10
from bot.store import SaveReport, Store
from bot.words.about import about_card, help_card, welcome_card
from bot.words.charts import surprises_card, trending_card
from bot.words.errors import error_card, internal_error_card, no_data_card, refusal_card
from bot.words.settings import region_choices
from bot.words.verdicts import not_found_card, pick_card, verdict_card

log = logging.getLogger(__name__)

_COMMAND_WORDS = {"trending", "surprises", "watch", "help", "config", "trendbot-config",
                  "question", "about"}  # fmt: skip
PICK_MARGIN = 8.0  # a fuzzy winner must lead the runner-up by this much to skip the pick list


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
        self.analyst = analyst
        self.admin = admin
        self._catalog = catalog
        self._book = book
        self._clock = clock
        self._chart_titles: list[tuple[str, str]] | None = None

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
        if report.changed:
            self._chart_titles = None
        return report

    # ---- entry points for adapters --------------------------------------------------------------

    async def run(self, name: str, options: Mapping[str, object], ctx: Context) -> Card:
        """A slash command with structured options (Discord)."""
        with self._timed(name):
            return await self._safely(lambda: self._parse_and_handle(name, options, None, ctx))

    async def run_text(self, name: str, text: str, ctx: Context) -> Card:
        """A command with free-form arguments (Slack slash commands, the console)."""
        with self._timed(name):
            return await self._safely(lambda: self._parse_and_handle(name, None, text, ctx))

    async def answer(self, text: str, ctx: Context) -> Card | None:
        """A mention or DM: answer "should I watch X?"-style questions; None for anything else."""
        question = commands.parse_question(text)
        if question is None:
            return None
        with self._timed("question"):
            return await self._safely(lambda: self.handle(question, ctx))

    def _timed(self, name: str) -> Any:
        # label by the command's first word only: free text must not mint new label values
        word = name.strip().lstrip("/").split(" ")[0].casefold()
        known = word if word in _COMMAND_WORDS else "other"
        return self.metrics.command_seconds.labels(known).time()

    async def complete(self, option: str, prefix: str) -> list[Choice]:
        """Autocomplete for `region` and `title` options: at most 25 choices, from memory."""
        prefix = prefix[:100]
        if option == "region":
            return region_choices(regions.complete_regions(prefix))
        if option == "title":
            if not prefix.strip():
                return []
            found = search(self.analyst.index, prefix, limit=25)
            return [
                Choice(
                    _choice_label(t)[:100],
                    (f"{t.name} {t.year}" if t.year and _same_name(t, found) else t.name)[:100],
                )
                for t, _ in found
            ]
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

    async def save_settings(self, form: SettingsForm, ctx: Context) -> Card:
        """Apply a settings form submitted from a UI; admins only."""
        if not ctx.is_admin:
            return refusal_card()
        return await self._safely(lambda: self.admin.apply_form(form, ctx))

    async def handle(self, command: Command, ctx: Context) -> Card:
        if isinstance(command, ADMIN_COMMANDS):
            if not ctx.is_admin:
                return refusal_card()
            return await self.admin.configure(command, ctx)
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

    async def server_joined(self, platform: str, server_id: str) -> Card:
        await self.admin.ensure(platform, server_id)
        return welcome_card(platform)

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
                f"Only the global lists are split by language; {regions.region_name(region)} "
                f"has one {command.category} list. Leave out the language, or ask for GLOBAL."
            )
        language = command.language or ("english" if region == GLOBAL else "")
        key = ChartKey(region, command.category, language)
        week = command.week or await self.store.latest_week(key)
        entries = await self.analyst.chart(key, week) if week else None
        return key, week, entries or ()

    async def trending(self, command: Trending, ctx: Context) -> Card:
        key, week, entries = await self.chart_for(command, ctx)
        if not entries or week is None:
            return no_data_card(key, command.week)
        return trending_card(key, week, entries, await self.threshold(ctx))

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
        found = await self.find_title(command.query)
        if isinstance(found, Card):
            return found
        return await self._verdict(found, region)

    async def find_title(self, query: str) -> Title | Card:
        """The one title a query means, or a Card with a pick list or suggestions.

        Order: the catalog by name; a title that charted under exactly that name (no scores, but
        its ranks); then a close spelling in the catalog, if it clearly beats the others.
        """
        found = search(self.analyst.index, query, limit=6)
        exact = [t for t, score in found if score >= 100]
        if len(exact) > 1:
            return pick_card(query, exact)
        if exact:
            return exact[0]
        charted = await self._charted_title(query)
        if charted is not None:
            return charted
        if (
            found
            and found[0][1] >= 90
            and (len(found) == 1 or found[0][1] - found[1][1] >= PICK_MARGIN)
        ):
            return found[0][0]
        return not_found_card(query, [t for t, _ in found[:5]])

    async def _verdict(self, title: Title, region: str) -> Card:
        judged, week, image = await self.verdict_for(title, region)
        description = self._catalog.descriptions.get(title.id, "")
        return verdict_card(judged, region, week, description, image)

    async def verdict_for(
        self, title: Title, region: str
    ) -> tuple[Verdict, date | None, Image | None]:
        """The verdict on one title for a region, with its rank-history picture if it charted."""
        scores = await self._book.scores(title, online=True)
        week = await self.newest_week(region)
        movement = await self._movement(title, region, week) if week else None
        judged = verdict.advise(title, scores, movement)
        history = await self.store.title_history(title.name)
        series = [(key.region, day, rank) for key, day, rank in history if key.region != GLOBAL]
        image = None
        if series:
            from bot import plots  # matplotlib costs ~0.4 s to import; only pictures need it

            png = await asyncio.to_thread(plots.rank_history_png, title.name, series, region)
            image = Image(
                f"{_slug(title.name)}-rank-history.png",
                png,
                f"{title.name}: weekly rank",
            )
        return judged, week, image

    async def _movement(self, title: Title, region: str, week: date) -> Movement | None:
        category: Category = "films" if title.kind == "movie" else "tv"
        keys = (
            [
                ChartKey(GLOBAL, category, "english"),
                ChartKey(GLOBAL, category, "non-english"),
            ]
            if region == GLOBAL
            else [ChartKey(region, category)]
        )
        for key in keys:
            for entry in await self.analyst.chart(key, week) or ():
                if _is(entry, title):
                    return entry.movement
        return None

    async def _charted_title(self, query: str) -> Title | None:
        """A title that charted but is not in the catalog (no scores, but we know its ranks)."""
        if self._chart_titles is None:
            self._chart_titles = await self.store.chart_titles()
        wanted = commands.clean_query(query).casefold()
        for name, category in self._chart_titles:
            if name.casefold() == wanted:
                return Title(
                    id=f"chart:{name}",
                    name=name,
                    kind="movie" if category == "films" else "show",
                    year=None,
                )
        return None

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
            return error_card(f"A data source could not answer: {exc}")
        except Exception:
            log.exception("unexpected error while answering a command")
            return internal_error_card()

    async def _region(self, text: str | None, ctx: Context) -> str:
        if text:
            return regions.resolve_region(text)
        settings = await self.store.server(ctx.platform, ctx.server_id)
        if settings and settings.regions:
            return settings.regions[0]
        return GLOBAL

    async def newest_week(self, region: str) -> date | None:
        """The newest week any of `region`'s lists holds: the feeds may lag one another."""
        keys = (
            [ChartKey(GLOBAL, c, lang) for c in CATEGORIES for lang in ("english", "non-english")]
            if region == GLOBAL
            else [ChartKey(region, c) for c in CATEGORIES]
        )
        weeks = [week for key in keys if (week := await self.store.latest_week(key))]
        return max(weeks, default=None)

    async def threshold(self, ctx: Context) -> int:
        """The asking server's alert threshold, or the configured default."""
        settings = await self.store.server(ctx.platform, ctx.server_id)
        return settings.threshold if settings else self.admin.defaults.default_threshold


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


def _is(entry: Judged, title: Title) -> bool:
    """Is this chart entry that title? The same id, or (sources name titles differently) the
    same name and no different year."""
    known = entry.match.title
    if known is not None and known.id == title.id:
        return True
    if entry.movement.title.casefold() != title.name.casefold():
        return False
    years = {known.year if known else None, title.year}
    return None in years or len(years) == 1


def _choice_label(title: Title) -> str:
    kind = "film" if title.kind == "movie" else "series"
    return f"{title.name} ({title.year}, {kind})" if title.year else f"{title.name} ({kind})"


def _same_name(title: Title, found: list[tuple[Title, float]]) -> bool:
    return sum(1 for t, _ in found if t.name.casefold() == title.name.casefold()) > 1


def _slug(text: str) -> str:
    slug = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(filter(None, slug.split("-")))[:60] or "title"
