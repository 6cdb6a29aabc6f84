"""An in-memory title book: records by name key, merged into titles on first use.

Used where no database is wanted (replay backtests, the demo's first start, tests) and as the
shape the store's title queries return. Titles are merged per name lazily and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from bot.titles.facts import TitleFacts, merge_name
from bot.titles.records import TitleRecord


class TitleBook:
    """Every record, by name key; `titles(key)` merges one name's records into titles."""

    def __init__(self, records: Iterable[TitleRecord] = ()) -> None:
        self._records: dict[str, list[TitleRecord]] = {}
        self._merged: dict[str, tuple[TitleFacts, ...]] = {}
        self._newest = date.min
        self.add(records)

    def add(self, records: Iterable[TitleRecord]) -> None:
        for record in records:
            if not record.key:
                continue
            self._records.setdefault(record.key, []).append(record)
            self._merged.pop(record.key, None)
            if record.as_of > self._newest:
                self._newest = record.as_of

    def __len__(self) -> int:
        return sum(len(v) for v in self._records.values())

    @property
    def keys(self) -> Iterable[str]:
        return self._records.keys()

    @property
    def newest_source(self) -> date | None:
        """The date of the newest snapshot: titles first charting much later may be missing."""
        return self._newest if self._newest > date.min else None

    def titles(self, key: str) -> tuple[TitleFacts, ...]:
        merged = self._merged.get(key)
        if merged is None:
            merged = self._merged[key] = merge_name(self._records.get(key, ()))
        return merged

    def records(self, key: str) -> tuple[TitleRecord, ...]:
        return tuple(self._records.get(key, ()))

    def many(self, keys: Iterable[str]) -> Mapping[str, tuple[TitleFacts, ...]]:
        return {key: self.titles(key) for key in set(keys)}
