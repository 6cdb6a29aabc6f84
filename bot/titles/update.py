"""Refreshing title knowledge from fresher sources: engagement reports, IMDb's datasets, CSVs.

`trendbot titles update [SOURCE…]` and the weekly job call `TitleUpdater.update`. Each source
(a URL or a path) is fetched conditionally to a temporary file, recognised by its content, and
loaded as one set of records that replaces its previous copy in one transaction: a broken file is
refused whole and the last good copy stays. IMDb's title.basics and title.ratings are streamed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import aiohttp

from bot.config import TitlesConfig
from bot.errors import SourceError, SourceUnavailable
from bot.sources import engagement, imdb
from bot.sources.download import download
from bot.store import Store
from bot.titles.knowledge import TitleKnowledge
from bot.titles.library import file_kind, read_title_file
from bot.titles.records import TitleRecord

log = logging.getLogger(__name__)

Outcome = Literal["loaded", "unchanged", "failed"]
RETRY_AFTER_FAILURE = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Updated:
    """What one title source did in an update."""

    source: str
    outcome: Outcome
    origin: str = ""
    records: int = 0
    detail: str = ""


class TitleUpdater:
    """Loads title sources into the store; `session` is needed only for URLs."""

    def __init__(
        self,
        store: Store,
        knowledge: TitleKnowledge,
        config: TitlesConfig,
        clock: Callable[[], datetime],
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._store = store
        self._knowledge = knowledge
        self._config = config
        self._clock = clock
        self._session = session
        self._validators: dict[str, tuple[str | None, str | None]] = {}

    def configured(self) -> list[str]:
        """The sources the config names: reports, and IMDb's datasets when opted in."""
        found = list(self._config.report_urls)
        if self._config.imdb_noncommercial:
            found += [self._config.imdb_basics_url, self._config.imdb_ratings_url]
        return found

    async def update(self, sources: Sequence[str] = ()) -> list[Updated]:
        """Load each source (all configured ones when none are given)."""
        wanted = list(sources) or self.configured()
        results: list[Updated] = []
        with tempfile.TemporaryDirectory(prefix="trendbot-titles-") as work:
            files: dict[str, Path | None] = {}
            for source in wanted:
                try:
                    files[source] = await self._fetch(source, Path(work))
                except (SourceError, OSError) as exc:
                    results.append(await self._failed(source, str(exc)))
            ratings = [s for s, p in files.items() if p and file_kind(p) == "imdb-ratings"]
            for source, path in files.items():
                if path is None:
                    results.append(Updated(source, "unchanged"))
                    continue
                try:
                    results.append(await self._load(source, path, [files[r] for r in ratings]))
                except (SourceError, OSError) as exc:
                    results.append(await self._failed(source, str(exc)))
        if any(r.outcome == "loaded" for r in results):
            self._knowledge.forget()
        return results

    async def _fetch(self, source: str, work: Path) -> Path | None:
        if not _is_url(source):
            path = Path(source)
            if not path.is_file():
                raise SourceError(f"{source}: no such file")
            return path
        if self._session is None:
            raise SourceError(f"{source}: a URL needs the network (not available here)")
        state = await self._store.source_health(_name(source))
        fetched = await download(
            self._session, source, work, etag=state.etag, last_modified=state.last_modified,
            timeout=self._config.timeout_seconds, max_bytes=self._config.max_bytes,
        )  # fmt: skip
        if fetched.path is not None:
            # validators are kept only once the file has loaded (a broken copy is fetched again)
            self._validators[source] = (fetched.etag, fetched.last_modified)
        else:
            await self._store.record_source_success(
                _name(source), state.etag, state.last_modified, self._clock()
            )
        return fetched.path

    async def _load(self, source: str, path: Path, ratings: Sequence[Path | None]) -> Updated:
        kind = file_kind(path)
        now = self._clock()
        if kind == "imdb-ratings":
            return Updated(source, "loaded", "imdb", 0, "ratings (joined to title.basics)")
        version = await asyncio.to_thread(_digest, path)
        if kind == "imdb-basics":
            count = await self._store.load_imdb(
                version, _basics(path, now.date()), _ratings([p for p in ratings if p]), now
            )
            origin = "imdb"
        elif kind == "report":
            report = await asyncio.to_thread(
                engagement.parse_report, path.read_bytes(), Path(source).name
            )
            origin = f"report:{report.label}"
            count = await self._store.replace_title_set(
                origin, version, list(engagement.records(report)), now
            )
        else:
            records = await asyncio.to_thread(read_title_file, path, kind)
            origin = f"file:{Path(source).name}"
            count = await self._store.replace_title_set(origin, version, records, now)
        if _is_url(source):
            etag, modified = self._validators.get(source, (None, None))
            await self._store.record_source_success(_name(source), etag, modified, now)
        log.info("titles: %s loaded as %s (%d records)", source, origin, count)
        return Updated(source, "loaded", origin, count)

    async def _failed(self, source: str, error: str) -> Updated:
        log.warning("titles: %s refused, the last good copy stays: %s", source, error)
        if _is_url(source):
            await self._store.record_source_failure(
                _name(source), error, self._clock(), RETRY_AFTER_FAILURE
            )
        return Updated(source, "failed", detail=error)


async def update_job(updater: TitleUpdater) -> list[Updated]:
    """The weekly job: every configured source; a source down now is tried next week."""
    try:
        return await updater.update()
    except SourceUnavailable as exc:
        log.warning("titles: refresh postponed: %s", exc)
        return []


def _basics(path: Path, today: date) -> Iterator[TitleRecord]:
    with imdb.open_text(path) as handle:
        yield from imdb.basics(handle, path.name, today)


def _ratings(paths: Sequence[Path]) -> Iterator[tuple[str, float, int]]:
    for path in paths:
        with imdb.open_text(path) as handle:
            for rating in imdb.ratings(handle, path.name):
                yield rating.tconst, rating.score, rating.votes


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _name(url: str) -> str:
    return f"titles:{url}"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]
