"""What the bot knows about titles at run time: the store's title records, merged per name.

The bundled records are loaded into the store once per bundle version (the first time a week is
judged); later sources — a fetched engagement report, IMDb's datasets, online lookups — add their
own sets. Merged titles are cached in the store per name, so a process holds only the names it is
asked about. A read-only database that was never seeded falls back to reading the bundle.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

from bot.judge.expectation import franchise_key
from bot.models import Score, Title
from bot.store import Store
from bot.titles import bundle
from bot.titles.book import BundleSlice, Eras
from bot.titles.facts import TitleFacts, merge_name
from bot.titles.scoring import facts_scores

log = logging.getLogger(__name__)

BUNDLE_ORIGIN = "bundle"


class TitleKnowledge:
    """Titles by name key, films by year and the sources' newest date, over the store."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], bundle_path: Path = bundle.BUNDLE
    ) -> None:
        self._store = store
        self._clock = clock
        self._bundle = bundle_path
        self._seeding = asyncio.Lock()
        self._seeded = False
        self._fallback: BundleSlice | None = None
        self._eras: Eras | None = None
        self._films: dict[int, frozenset[str]] = {}
        self._until: date | None = None
        self._until_known = False

    async def ensure_seeded(self) -> None:
        """Load the bundled records into the store if this bundle version is not there yet."""
        if self._seeded:
            return
        async with self._seeding:
            if self._done():  # another caller seeded while this one waited
                return
            version = await asyncio.to_thread(_digest, self._bundle)
            if await self._store.title_set_version(BUNDLE_ORIGIN) != version:
                if self._store.read_only:
                    log.info("titles: a read-only database without the bundled titles; "
                             "reading them from %s", self._bundle)  # fmt: skip
                    self._fallback = await asyncio.to_thread(BundleSlice, self._bundle)
                else:
                    records = await asyncio.to_thread(
                        lambda: list(bundle.read_records(self._bundle))
                    )
                    count = await self._store.replace_title_set(
                        BUNDLE_ORIGIN, version, records, self._clock()
                    )
                    log.info("titles: %d bundled title records loaded into the database", count)
            self._seeded = True

    def _done(self) -> bool:
        # a method, so the type checker knows an await may have changed the flag
        return self._seeded

    def forget(self) -> None:
        """Drop what this process cached (after new title records arrived)."""
        self._eras = None
        self._films.clear()
        self._until_known = False

    async def titles(self, keys: Iterable[str]) -> dict[str, tuple[TitleFacts, ...]]:
        """The merged titles of each name key (empty tuple for names nobody knows)."""
        await self.ensure_seeded()
        wanted = set(keys)
        if self._fallback is not None:
            fallback = self._fallback
            return dict(await asyncio.to_thread(fallback.many, wanted))
        found = await self._store.merged_titles(wanted)
        missing = wanted - found.keys()
        if missing:
            records = await self._store.title_records(missing)
            eras = await self._era_judge()
            merged = {
                key: tuple(eras.apply(t) for t in merge_name(records.get(key, ())))
                for key in missing
            }
            await self._store.save_merged_titles(merged, self._clock())
            found.update(merged)
        return found

    async def title(self, title_id: str) -> TitleFacts | None:
        """One title by its id (tm…, tt…, nf:…), if it has been merged before."""
        await self.ensure_seeded()
        key = await self._key_of(title_id)
        if key is None:
            return None
        return next((t for t in (await self.titles([key]))[key] if t.id == title_id), None)

    async def _key_of(self, title_id: str) -> str | None:
        if self._fallback is None:
            return await self._store.key_of_title(title_id)
        return await asyncio.to_thread(self._fallback.key_of, title_id)

    async def new_films(self, year: int) -> frozenset[str]:
        """Franchise keys of films released in `year` (a sequel in cinemas revives the old one)."""
        found = self._films.get(year)
        if found is None:
            await self.ensure_seeded()
            names = await self._store.film_names_of_year(year)
            found = self._films[year] = frozenset(franchise_key(n) for n in names)
        return found

    async def sources_until(self) -> date | None:
        """The newest title source's date: titles first charting well after it may be missing."""
        if self._fallback is not None:
            return self._fallback.newest_source
        if not self._until_known:
            await self.ensure_seeded()
            self._until = await self._store.newest_title_source()
            self._until_known = True
        return self._until

    async def _era_judge(self) -> Eras:
        if self._eras is None:
            self._eras = Eras(await self._store.popular_film_keys())
        return self._eras


class FactsReviews:
    """ReviewSource over the title sources' own figures (IMDb/TMDB as each source gave them)."""

    name = "titles"

    def __init__(self, knowledge: TitleKnowledge) -> None:
        self._knowledge = knowledge

    async def scores(self, title: Title) -> tuple[Score, ...]:
        facts = await self._knowledge.title(title.id)
        return facts_scores(facts).items if facts is not None else ()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
