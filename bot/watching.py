"""The "should I watch X?" use case: which title a query means, its verdict for a region with the
rank-history picture, and title suggestions while typing.

Core delegates here; the verdict itself is bot/verdict.py, its words bot/words/verdicts.py.
"""

from __future__ import annotations

import asyncio
from datetime import date

from bot import commands, verdict
from bot.analysis import Analyst
from bot.cards import Card, Choice, Image
from bot.judge.week import Judged
from bot.matching import search
from bot.models import CATEGORIES, GLOBAL, Category, ChartKey, Movement, Title, Verdict
from bot.reviews import ScoreBook
from bot.sources.catalog import Catalog
from bot.store import Store
from bot.words.common import kind_name
from bot.words.i18n import _
from bot.words.verdicts import not_found_card, pick_card, verdict_card

PICK_MARGIN = 8.0  # a fuzzy winner must lead the runner-up by this much to skip the pick list


class Watching:
    """Finds titles and judges them; one per Core."""

    def __init__(self, store: Store, catalog: Catalog, analyst: Analyst, book: ScoreBook) -> None:
        self._store = store
        self._catalog = catalog
        self._analyst = analyst
        self._book = book
        self._chart_titles: list[tuple[str, str]] | None = None

    def charts_changed(self) -> None:
        """New lists were stored: titles that charted are read again when next asked for."""
        self._chart_titles = None

    def title_choices(self, prefix: str) -> list[Choice]:
        """Autocomplete for a title: at most 25, from memory."""
        if not prefix.strip():
            return []
        found = search(self._analyst.index, prefix, limit=25)
        return [
            Choice(
                _choice_label(t)[:100],
                (f"{t.name} {t.year}" if t.year and _same_name(t, found) else t.name)[:100],
            )
            for t, _score in found
        ]

    async def find_title(self, query: str) -> Title | Card:
        """The one title a query means, or a Card with a pick list or suggestions.

        Order: the catalog by name; a title that charted under exactly that name (no scores, but
        its ranks); then a close spelling in the catalog, if it clearly beats the others.
        """
        found = search(self._analyst.index, query, limit=6)
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
        return not_found_card(query, [t for t, _score in found[:5]])

    async def verdict_card(self, title: Title, region: str, *, picture: bool = True) -> Card:
        judged, week, image = await self.verdict_for(title, region, picture=picture)
        description = self._catalog.descriptions.get(title.id, "")
        return verdict_card(judged, region, week, description, image)

    async def verdict_for(
        self, title: Title, region: str, *, picture: bool = True
    ) -> tuple[Verdict, date | None, Image | None]:
        """The verdict on one title for a region, with its rank-history picture if it charted
        and `picture` is wanted (matplotlib is heavy: ~50 MB and 0.4 s to import)."""
        scores = await self._book.scores(title, online=True)
        week = await newest_week(self._store, region)
        movement = await self._movement(title, region, week) if week else None
        judged = verdict.advise(title, scores, movement)
        history = await self._store.title_history(title.name)
        series = [(key.region, day, rank) for key, day, rank in history if key.region != GLOBAL]
        image = None
        if series and picture:
            from bot import plots  # matplotlib costs ~0.4 s to import; only pictures need it

            # (to_thread copies the context: the picture speaks the answer's language)
            png = await asyncio.to_thread(plots.rank_history_png, title.name, series, region)
            image = Image(
                f"{_slug(title.name)}-rank-history.png",
                png,
                _("{title}: weekly rank").format(title=title.name),
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
            for entry in await self._analyst.chart(key, week) or ():
                if _is(entry, title):
                    return entry.movement
        return None

    async def _charted_title(self, query: str) -> Title | None:
        """A title that charted but is not in the catalog (no scores, but we know its ranks)."""
        if self._chart_titles is None:
            self._chart_titles = await self._store.chart_titles()
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


async def newest_week(store: Store, region: str) -> date | None:
    """The newest week any of `region`'s lists holds: the feeds may lag one another."""
    keys = (
        [ChartKey(GLOBAL, c, lang) for c in CATEGORIES for lang in ("english", "non-english")]
        if region == GLOBAL
        else [ChartKey(region, c) for c in CATEGORIES]
    )
    weeks = [week for key in keys if (week := await store.latest_week(key))]
    return max(weeks, default=None)


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
    if title.year:
        return f"{title.name} ({title.year}, {kind_name(title)})"
    return f"{title.name} ({kind_name(title)})"


def _same_name(title: Title, found: list[tuple[Title, float]]) -> bool:
    return sum(1 for t, _score in found if t.name.casefold() == title.name.casefold()) > 1


def _slug(text: str) -> str:
    slug = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(filter(None, slug.split("-")))[:60] or "title"
