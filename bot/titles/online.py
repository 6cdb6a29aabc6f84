"""Titles no source knows, looked up online (TMDB) with a year hint, and remembered with a date.

Run by the scheduler for the newest week's entries whose identity is unknown, uncertain or only
inferred ("a new release"): each name is searched at most weekly; what TMDB finds becomes title
records (source "tmdb", dated) that the next judgement merges like any other source. A missing
key, a quota or an outage makes the answer smaller, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from bot.errors import SourceError, SourceUnavailable
from bot.judge.identity import Status, lookup_key
from bot.judge.week import Judged, kind_of
from bot.store import Store
from bot.titles.records import TitleRecord

log = logging.getLogger(__name__)

ORIGIN = "lookup:tmdb"
RECHECK_AFTER = timedelta(days=7)


class TitleFinder(Protocol):
    """An online title search (bot.sources.tmdb.TmdbReviews.find_titles)."""

    name: str

    async def find_titles(
        self, name: str, kind: str, year: int | None = None, details: int = 2
    ) -> list[TitleRecord]: ...


def wanted(entries: Iterable[Judged]) -> dict[tuple[str, str], tuple[str, int | None]]:
    """(kind, name key) → (the chart's name, a year hint) for entries worth a lookup."""
    found: dict[tuple[str, str], tuple[str, int | None]] = {}
    for entry in entries:
        identity = entry.identity
        if identity.status is Status.KNOWN:
            continue
        kind = kind_of(entry.key)
        hint = identity.first_week.year if identity.status is Status.NEW_RELEASE and \
            identity.first_week else None  # fmt: skip
        found.setdefault((kind, lookup_key(entry.movement.title)), (entry.movement.title, hint))
    return found


async def look_up(
    store: Store,
    finder: TitleFinder,
    entries: Iterable[Judged],
    clock: Callable[[], datetime],
    limit: int = 50,
) -> int:
    """Ask `finder` about up to `limit` names not asked this week; returns records added."""
    today = clock().date()
    added = 0
    asked = 0
    for (kind, key), (name, hint) in wanted(entries).items():
        if asked >= limit:
            break
        marker = f"lookup:{kind}:{key}"
        last = await store.looked_up(marker, finder.name)
        if last is not None and today - last < RECHECK_AFTER:
            continue
        asked += 1
        try:
            found = await finder.find_titles(name, kind, hint)
        except SourceUnavailable as exc:
            log.info("title lookup paused (%s): %s", finder.name, exc)
            break  # over quota or down: the rest waits for the next run
        except SourceError as exc:
            log.warning("title lookup for %r gave unusable data: %s", name, exc)
            found = []
        added += await store.add_title_records(ORIGIN, [r for r in found if r.key == key])
        await store.save_scores(marker, finder.name, (), today)
    return added
