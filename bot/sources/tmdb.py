"""TMDB user scores (vote_average) via search: pure parser, thin fetch."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import aiohttp

from bot.errors import ConfigError, SourceError, SourceUnavailable
from bot.judge.names import name_key as titles_key
from bot.models import Metric, Score, Title
from bot.retry_after import REVIEWS_MAX, parse_retry_after
from bot.titles.records import TitleRecord

log = logging.getLogger(__name__)

PROVIDER = "tmdb"
# Catalog years and TMDB's first release date can straddle a new year (festival
# premiere vs. release); two years apart is a different film (remakes share names).
_YEAR_SLACK = 1


def parse_tmdb_search(payload: Mapping[str, Any], title: Title, fetched: date) -> tuple[Score, ...]:
    """The TMDB score of the search result that is `title`; () when none is.

    A result is `title` when its title (or original title) equals the name, ignoring
    case, and its year is within a year of the title's; the closest year wins.
    """
    results = payload.get("results")
    if not isinstance(results, list):
        message = payload.get("status_message") or "no results list"
        raise SourceError(f"tmdb: not a search answer ({str(message)[:80]})")
    show = title.kind == "show"
    names = ("name", "original_name") if show else ("title", "original_title")
    wanted = _fold(title.name)
    best: tuple[int, Mapping[str, Any]] | None = None
    for result in results:
        if not isinstance(result, dict):
            continue
        if not any(_fold(result.get(key)) == wanted for key in names):
            continue
        year = _year(result.get("first_air_date" if show else "release_date"))
        if title.year is None:
            distance = 0
        elif year is None:
            continue  # an undated namesake could be any remake
        else:
            distance = abs(year - title.year)
        if distance <= _YEAR_SLACK and (best is None or distance < best[0]):
            best = (distance, result)
    if best is None:
        return ()
    return _score(best[1], fetched)


def _score(result: Mapping[str, Any], fetched: date) -> tuple[Score, ...]:
    average, count = result.get("vote_average"), result.get("vote_count")
    if isinstance(average, bool) or not isinstance(average, int | float):
        return ()
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return ()  # TMDB shows 0.0 for titles nobody voted on: no score, not a bad one
    if not 0 <= average <= 10:
        return ()
    value = round(average * 10, 2)  # TMDB gives 3 decimals; drop float noise only
    return (Score(Metric.TMDB, value, f"{average:g}/10", PROVIDER, fetched, count),)


def _fold(name: object) -> str:
    if not isinstance(name, str):
        return ""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _year(raw: object) -> int | None:
    if isinstance(raw, str) and len(raw) >= 4 and raw[:4].isdigit():
        return int(raw[:4])
    return None


class TmdbReviews:
    """TMDB scores found by name and year (v3 key or v4 read token)."""

    name = PROVIDER

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        read_token: str | None = None,
        base_url: str = "https://api.themoviedb.org/3/",
        timeout: float = 10.0,
        clock: Callable[[], datetime],
    ) -> None:
        if not api_key and not read_token:
            raise ConfigError("tmdb: set TMDB_API_KEY or TMDB_READ_TOKEN")
        self._session = session
        self._base = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._clock = clock
        self._params: dict[str, str] = {}
        self._headers = {"Accept": "application/json"}
        # Prefer the token: a header stays out of URLs, proxies' logs and tracebacks.
        if read_token:
            self._headers["Authorization"] = f"Bearer {read_token}"
        elif api_key:
            self._params["api_key"] = api_key

    async def scores(self, title: Title) -> tuple[Score, ...]:
        """TMDB's score for `title`; SourceUnavailable on 401, 429, 5xx or timeout."""
        now = self._clock()
        now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
        what = f"tmdb {title.name!r}"
        show = title.kind == "show"
        params = {**self._params, "query": title.name, "include_adult": "false"}
        if title.year:
            params["first_air_date_year" if show else "year"] = str(title.year)
        path = "search/tv" if show else "search/movie"
        status, headers, body = await self._get(path, params, what)
        if status >= 500 or status in (401, 429):
            message = f"{what}: HTTP {status}{_status_message(body)}"
            retry = None
            if status == 429:
                retry = parse_retry_after(headers.get("Retry-After"), now=now, maximum=REVIEWS_MAX)
            elif status == 401:
                log.warning("%s: TMDB refused the credentials (HTTP 401)", what)
            raise SourceUnavailable(message, retry_after=retry)
        try:
            payload = json.loads(body)
        except ValueError:
            raise SourceError(f"{what}: HTTP {status}, body is not JSON") from None
        if status != 200 or not isinstance(payload, dict):
            raise SourceError(f"{what}: HTTP {status}{_status_message(body)}")
        try:
            return parse_tmdb_search(payload, title, now.date())
        except SourceError as exc:
            raise SourceError(f"{what}: {str(exc).removeprefix('tmdb: ')}") from None

    async def find_titles(
        self, name: str, kind: str, year: int | None = None, details: int = 2
    ) -> list[TitleRecord]:
        """Titles named `name` (any year, the hinted one first), with runtime and IMDb id for
        the first few; SourceUnavailable on 401, 429, 5xx or timeout."""
        show = kind == "show"
        params = {**self._params, "query": name, "include_adult": "false"}
        if year:
            params["first_air_date_year" if show else "primary_release_year"] = str(year)
        payload = await self._json("search/tv" if show else "search/movie", params, name)
        today = self._today()
        found = parse_title_results(payload, kind, titles_key(name), today)
        if not found and year:
            return await self.find_titles(name, kind, None, details)
        found.sort(key=lambda r: (year is not None and r.year != year, -(r.popularity or 0)))
        detailed = []
        for record in found[:details]:
            path = f"{'tv' if show else 'movie'}/{record.ref.rsplit(':', 1)[1]}"  # type: ignore[union-attr]
            more = parse_title_details(
                await self._json(path, dict(self._params), name), kind, today
            )
            detailed.append(more or record)
        return detailed + found[details:]

    def _today(self) -> date:
        now = self._clock()
        return (now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)).date()

    async def _json(self, path: str, params: dict[str, str], name: str) -> Mapping[str, Any]:
        what = f"tmdb {name!r}"
        status, headers, body = await self._get(path, params, what)
        if status >= 500 or status in (401, 429):
            retry = None
            if status == 429:
                retry = parse_retry_after(
                    headers.get("Retry-After"), now=self._clock(), maximum=REVIEWS_MAX
                )
            raise SourceUnavailable(f"{what}: HTTP {status}{_status_message(body)}",
                                    retry_after=retry)  # fmt: skip
        try:
            payload = json.loads(body)
        except ValueError:
            raise SourceError(f"{what}: HTTP {status}, body is not JSON") from None
        if status != 200 or not isinstance(payload, dict):
            raise SourceError(f"{what}: HTTP {status}{_status_message(body)}")
        return payload

    async def _get(
        self, path: str, params: dict[str, str], what: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        # A v3 key rides in the query string, so no error here may quote the URL or
        # aiohttp's message, and `from None` keeps it out of chained tracebacks too.
        try:
            async with self._session.get(
                self._base + path,
                params=params,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                return response.status, response.headers, await response.read()
        except TimeoutError:
            message = f"{what}: no answer within {self._timeout:g} s"
            raise SourceUnavailable(message) from None
        except aiohttp.ClientError as exc:
            raise SourceUnavailable(f"{what}: {type(exc).__name__}") from None


def _status_message(body: bytes) -> str:
    """TMDB's own explanation from an error body, when it has one."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if isinstance(payload, dict) and isinstance(payload.get("status_message"), str):
        code = payload.get("status_code")
        return f" (status_code {code}: {payload['status_message'][:120]})"
    return ""


# ---- title facts for identity (search any title, with a year hint) --------------------------


def parse_title_results(
    payload: Mapping[str, Any], kind: str, name_key: str, fetched: date
) -> list[TitleRecord]:
    """Search results whose name (or original name) is `name_key`, as title records."""
    results = payload.get("results")
    if not isinstance(results, list):
        message = payload.get("status_message") or "no results list"
        raise SourceError(f"tmdb: not a search answer ({str(message)[:80]})")
    show = kind == "show"
    found = []
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("id"), int):
            continue
        names = [result.get(k) for k in (("name", "original_name") if show else
                                        ("title", "original_title"))]  # fmt: skip
        if not any(isinstance(n, str) and titles_key(n) == name_key for n in names):
            continue
        found.append(_record(result, kind, fetched, {}))
    return found


def parse_title_details(payload: Mapping[str, Any], kind: str, fetched: date) -> TitleRecord | None:
    """GET /movie/{id} or /tv/{id}: the runtime and IMDb id a search result lacks."""
    if not isinstance(payload.get("id"), int):
        return None
    return _record(payload, kind, fetched, payload)


def _record(
    result: Mapping[str, Any], kind: str, fetched: date, details: Mapping[str, Any]
) -> TitleRecord:
    show = kind == "show"
    name = result.get("name" if show else "title") or ""
    original = result.get("original_name" if show else "original_title")
    average, count = result.get("vote_average"), result.get("vote_count")
    voted = isinstance(count, int) and not isinstance(count, bool) and count > 0
    runtime = details.get("runtime") if not show else None
    countries = details.get("production_countries") or []
    return TitleRecord(
        source=PROVIDER,
        as_of=fetched,
        name=str(name),
        kind="show" if show else "movie",
        year=_year(result.get("first_air_date" if show else "release_date")),
        runtime_minutes=runtime if isinstance(runtime, int) and runtime > 0 else None,
        original_name=str(original) if isinstance(original, str) and original != name else None,
        ref=f"tmdb:{'tv' if show else 'movie'}:{result['id']}",
        imdb_id=details.get("imdb_id") if isinstance(details.get("imdb_id"), str) else None,
        tmdb_score=float(average) if voted and isinstance(average, int | float) else None,
        tmdb_votes=count if voted else None,
        popularity=float(p) if isinstance(p := result.get("popularity"), int | float) else None,
        language=result.get("original_language")
        if isinstance(result.get("original_language"), str)
        else None,
        countries=tuple(
            c["iso_3166_1"] for c in countries if isinstance(c, dict) and "iso_3166_1" in c
        ),
    )
