"""An in-memory title book: records by name key, merged into titles on first use.

Used where no database is wanted (replay backtests, the demo's first start, tests) and as the
shape the store's title queries return. Titles are merged per name lazily and cached.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.titles import bundle
from bot.titles.facts import Fact, TitleFacts, merge_name
from bot.titles.records import TMDB_POPULAR, TitleRecord

POPULAR_SINCE = 2010  # TMDB's yearly lists of the 1,000 most popular films start here
ERA_SOURCE = "inferred:not-in-tmdb-popular"
_LANGUAGE_TAG = re.compile(r"\((?:hindi|tamil|telugu|malayalam|kannada|bengali|marathi)\)", re.I)


class Eras:
    """Infers "before 2010" for a licensed English-looking film of unknown year that no TMDB
    yearly list since 2010 names (nor a longer or shorter form of its name)."""

    def __init__(self, popular_keys: Iterable[str] = ()) -> None:
        self._words: dict[str, set[str]] = {}  # word → TMDB-popular name keys with it
        for key in popular_keys:
            self.add(key)

    def add(self, popular_key: str) -> None:
        for word in popular_key.split():
            self._words.setdefault(word, set()).add(popular_key)

    def apply(self, title: TitleFacts) -> TitleFacts:
        licensed = title.licensed is not None and title.licensed.value
        # kind None: the 2023H1 report's one sheet mixes films and shows (callers apply the
        # era to films only)
        if title.kind == "show" or title.year is not None or not licensed or not self._words:
            return title
        if title.original_name or _LANGUAGE_TAG.search(title.name) or self._popular_like(title.key):
            return title
        newest = max(as_of for _source, as_of in title.listed)
        return replace(title, era=Fact(f"before {POPULAR_SINCE}", ERA_SOURCE, newest))

    def _popular_like(self, key: str) -> bool:
        mine = set(key.split())
        if not mine:
            return False
        pools = sorted((self._words.get(w, set()) for w in mine), key=len)
        rare = [pool for pool in pools if pool][:2]
        for other in set().union(*rare) if rare else ():
            words = set(other.split())
            if words <= mine or mine <= words:
                return True
        return False


class TitleBook:
    """Every record, by name key; `titles(key)` merges one name's records into titles."""

    def __init__(self, records: Iterable[TitleRecord] = ()) -> None:
        self._records: dict[str, list[TitleRecord]] = {}
        self._merged: dict[str, tuple[TitleFacts, ...]] = {}
        self._newest = date.min
        self._eras = Eras()
        self.add(records)

    def add(self, records: Iterable[TitleRecord]) -> None:
        for record in records:
            if not record.key:
                continue
            self._records.setdefault(record.key, []).append(record)
            self._merged.pop(record.key, None)
            if record.as_of > self._newest:
                self._newest = record.as_of
            if record.family == TMDB_POPULAR:
                self._eras.add(record.key)

    def __len__(self) -> int:
        return sum(len(v) for v in self._records.values())

    @property
    def keys(self) -> Iterable[str]:
        return self._records.keys()

    @property
    def newest_source(self) -> date | None:
        """The date of the newest snapshot: titles first charting much later may be missing."""
        return self._newest if self._newest > date.min else None

    def know_popular(self, keys: Iterable[str]) -> None:
        """Name keys of TMDB's yearly popular lists whose records are not loaded (for eras)."""
        for key in keys:
            self._eras.add(key)
        self._merged.clear()

    def titles(self, key: str) -> tuple[TitleFacts, ...]:
        merged = self._merged.get(key)
        if merged is None:
            merged = tuple(self._eras.apply(t) for t in merge_name(self._records.get(key, ())))
            self._merged[key] = merged
        return merged

    def records(self, key: str) -> tuple[TitleRecord, ...]:
        return tuple(self._records.get(key, ()))

    def many(self, keys: Iterable[str]) -> Mapping[str, tuple[TitleFacts, ...]]:
        return {key: self.titles(key) for key in set(keys)}


class BundleSlice:
    """The bundle read as needed, for a read-only database the bundle was never loaded into:
    only the records of the names asked about are kept (all 88k as objects cost ~120 MB)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._book = TitleBook()
        self._loaded: set[str] = set()
        newest, popular = date.min, set()
        for row in bundle.raw_rows(path):
            as_of = row[bundle.AS_OF]
            if as_of > newest.isoformat():
                newest = date.fromisoformat(as_of)
            if row[bundle.SOURCE].split(":")[0] == TMDB_POPULAR:
                popular.add(row[bundle.KEY])
        self.newest_source = newest if newest > date.min else None
        self._book.know_popular(popular)

    def many(self, keys: Iterable[str]) -> Mapping[str, tuple[TitleFacts, ...]]:
        wanted = set(keys)
        with self._lock:  # callers run it in worker threads
            missing = wanted - self._loaded
            if missing:
                self._book.add(
                    bundle.read_records(self._path, lambda row: row[bundle.KEY] in missing)
                )
                self._loaded |= missing
            return self._book.many(wanted)

    def key_of(self, title_id: str) -> str | None:
        """The name key of the title with this reference (TMDB or IMDb id), if any."""
        if not title_id:
            return None  # rows without a reference must not match
        for row in bundle.raw_rows(self._path):
            if title_id in (row[bundle.REF], row[bundle.IMDB_ID]):
                return row[bundle.KEY]
        return None
