"""Assembling a title's scores: store cache → offline catalog → online providers, degrading cleanly.

A provider that is missing, over quota, slow or broken makes the answer smaller (and says so in
`Scores.unavailable`); it never makes it fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from bot.errors import SourceError, SourceUnavailable
from bot.models import Score, Scores, Title
from bot.protocols import ReviewSource
from bot.store import Store

log = logging.getLogger(__name__)

RECHECK_AFTER = timedelta(days=7)  # online scores move slowly; re-ask a provider weekly at most


class ScoreBook:
    """Scores for titles from every configured source, cached in the store with source and date."""

    def __init__(
        self,
        store: Store,
        offline: Sequence[ReviewSource],
        online: Sequence[ReviewSource],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._offline = offline
        self._online = online
        self._clock = clock

    async def offline_many(self, titles: Iterable[Title]) -> dict[str, Scores]:
        """Cached and offline scores for many titles with one store query (no network)."""
        titles = list(titles)
        cached = await self._store.cached_scores_many(t.id for t in titles)
        found: dict[str, Scores] = {}
        for title in titles:
            items = list(cached.get(title.id, ()))
            for source in self._offline:
                items.extend(await source.scores(title))
            found[title.id] = Scores(newest_per_metric(items))
        return found

    async def scores(self, title: Title, *, online: bool = False) -> Scores:
        """All scores we can get; with `online`, ask providers not asked in the last week."""
        found: list[Score] = list(await self._store.cached_scores(title.id))
        unavailable: list[str] = []
        for source in self._offline:
            found.extend(await source.scores(title))
        if online:
            today = self._clock().date()
            for source in self._online:
                last = await self._store.looked_up(title.id, source.name)
                if last is not None and today - last < RECHECK_AFTER:
                    continue
                try:
                    fresh = await source.scores(title)
                except SourceUnavailable as exc:
                    log.info("%s unavailable for %s: %s", source.name, title.name, exc)
                    unavailable.append(source.name)
                    continue
                except SourceError as exc:
                    log.warning("%s gave unusable data for %s: %s", source.name, title.name, exc)
                    unavailable.append(source.name)
                    continue
                await self._store.save_scores(title.id, source.name, fresh, today)
                found.extend(fresh)
        return Scores(newest_per_metric(found), tuple(unavailable))


def newest_per_metric(scores: Sequence[Score]) -> tuple[Score, ...]:
    """One score per metric, the latest fetched (scores drift: RT 11 % in 2020, 9 % later)."""
    best: dict[str, Score] = {}
    for score in scores:
        kept = best.get(score.metric.value)
        if kept is None or score.fetched > kept.fetched:
            best[score.metric.value] = score
    order = ("imdb", "rt_critics", "rt_audience", "metacritic", "tmdb")
    return tuple(best[m] for m in order if m in best)
