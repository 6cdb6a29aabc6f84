"""OMDb scores (IMDb, Rotten Tomatoes critics, Metacritic): pure parser, thin fetch."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiohttp

from bot.errors import SourceError, SourceUnavailable
from bot.models import Metric, Score, Title
from bot.retry_after import REVIEWS_MAX, parse_retry_after

log = logging.getLogger(__name__)

PROVIDER = "omdb"
_MISSING = "N/A"
# Not errors, just titles OMDb lacks ("Error getting data." = on IMDb, not in OMDb).
_UNKNOWN = frozenset({"Movie not found!", "Error getting data.", "Incorrect IMDb ID."})
_BAD_KEY = "Invalid API key!"
_QUOTA = "Request limit reached!"
_TENTHS = re.compile(r"(\d{1,2}(?:\.\d+)?)/10")
_PERCENT = re.compile(r"(\d{1,3})%")
_HUNDREDTHS = re.compile(r"(\d{1,3})/100")


def parse_omdb(payload: Mapping[str, Any], fetched: date) -> tuple[Score, ...]:
    """Scores from one OMDb title answer; () when OMDb does not know the title.

    Raises:
        SourceUnavailable: OMDb refused the key or the daily quota is used up.
        SourceError: the payload is not an OMDb title answer.
    """
    answer = payload.get("Response")
    if answer == "False":
        error = str(payload.get("Error", ""))
        if error in _UNKNOWN:
            return ()
        if error in (_BAD_KEY, _QUOTA):
            raise SourceUnavailable(f"omdb: {error}")
        raise SourceError(f"omdb: error {error[:80]!r}")
    if answer != "True":
        raise SourceError("omdb: not a title answer (no Response field)")
    ratings = _ratings(payload.get("Ratings"))
    scores: list[Score] = []
    imdb = ratings.get("Internet Movie Database")
    imdb = imdb or _suffixed(payload, "imdbRating", "/10")
    if imdb and (m := _TENTHS.fullmatch(imdb)) and float(m[1]) <= 10:
        value = round(float(m[1]) * 10, 1)
        votes = _votes(payload.get("imdbVotes"))
        scores.append(Score(Metric.IMDB, value, imdb, PROVIDER, fetched, votes))
    rt = ratings.get("Rotten Tomatoes")
    if rt and (m := _PERCENT.fullmatch(rt)) and int(m[1]) <= 100:
        scores.append(Score(Metric.RT_CRITICS, float(m[1]), rt, PROVIDER, fetched))
    meta = ratings.get("Metacritic") or _suffixed(payload, "Metascore", "/100")
    if meta and (m := _HUNDREDTHS.fullmatch(meta)) and int(m[1]) <= 100:
        scores.append(Score(Metric.METACRITIC, float(m[1]), meta, PROVIDER, fetched))
    return tuple(scores)


def _ratings(raw: object) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    found: dict[str, str] = {}
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("Value"), str):
            value = item["Value"].strip()
            if value != _MISSING:
                found[str(item.get("Source"))] = value
    return found


def _suffixed(payload: Mapping[str, Any], key: str, suffix: str) -> str | None:
    # Some answers carry the bare field without a matching Ratings entry.
    raw = payload.get(key)
    if not isinstance(raw, str) or raw.strip() in ("", _MISSING):
        return None
    return raw.strip() + suffix


def _votes(raw: object) -> int | None:
    if not isinstance(raw, str):
        return None
    digits = raw.replace(",", "").strip()
    return int(digits) if digits.isdigit() and digits.isascii() else None


class OmdbReviews:
    """OMDb scores by IMDb id (else title and year); pauses itself when over quota."""

    name = PROVIDER

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        base_url: str = "https://www.omdbapi.com/",
        timeout: float = 10.0,
        clock: Callable[[], datetime],
    ) -> None:
        self._session = session
        self._key = api_key
        self._url = base_url
        self._timeout = timeout
        self._clock = clock
        self._paused_until: datetime | None = None

    async def scores(self, title: Title) -> tuple[Score, ...]:
        """OMDb's scores for `title`; SourceUnavailable while over the daily quota."""
        now = _utc(self._clock())
        what = f"omdb {title.name!r}"
        if self._paused_until is not None:
            if now < self._paused_until:
                raise SourceUnavailable(
                    f"{what}: daily request limit reached; paused until "
                    f"{self._paused_until:%Y-%m-%d %H:%M} UTC",
                    retry_after=(self._paused_until - now).total_seconds(),
                )
            self._paused_until = None
        status, payload = await self._get(self._query(title), what)
        if not isinstance(payload, dict):
            kind = type(payload).__name__
            raise SourceError(f"{what}: expected a JSON object, got {kind}")
        error = payload.get("Error")
        if error == _QUOTA:
            # Comes as HTTP 401; the reset is reportedly at midnight UTC. Asking again
            # before then only burns requests that are refused anyway.
            until = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
            self._paused_until = until
            log.warning("%s: daily request limit reached; paused until %s", what, until)
            raise SourceUnavailable(
                f"{what}: daily request limit reached",
                retry_after=(until - now).total_seconds(),
            )
        if error == _BAD_KEY:
            log.warning("%s: OMDb rejected the API key (HTTP %s)", what, status)
        try:
            return parse_omdb(payload, now.date())
        except SourceError as exc:
            message = str(exc).removeprefix("omdb: ")
            raise type(exc)(f"{what}: {message}") from None

    def _query(self, title: Title) -> dict[str, str]:
        query = {"apikey": self._key}
        if title.imdb_id:
            query["i"] = title.imdb_id
        else:
            query["t"] = title.name
            query["type"] = "movie" if title.kind == "movie" else "series"
            if title.year:
                query["y"] = str(title.year)
        return query

    async def _get(self, query: dict[str, str], what: str) -> tuple[int, Any]:
        # The key rides in the query string, so no error here may quote the URL or
        # aiohttp's message, and `from None` keeps it out of chained tracebacks too.
        try:
            async with self._session.get(
                self._url,
                params=query,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers={"Accept": "application/json"},
            ) as response:
                status = response.status
                retry = response.headers.get("Retry-After")
                body = await response.read()
        except TimeoutError:
            message = f"{what}: no answer within {self._timeout:g} s"
            raise SourceUnavailable(message) from None
        except aiohttp.ClientError as exc:
            raise SourceUnavailable(f"{what}: {type(exc).__name__}") from None
        if status >= 500 or status == 429:
            wait = parse_retry_after(retry, now=_utc(self._clock()), maximum=REVIEWS_MAX)
            raise SourceUnavailable(f"{what}: HTTP {status}", retry_after=wait)
        try:
            return status, json.loads(body)
        except ValueError:
            message = f"{what}: HTTP {status} with a body that is not JSON"
            raise SourceError(message) from None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
