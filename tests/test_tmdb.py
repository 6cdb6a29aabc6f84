"""TmdbReviews against a local TMDB stand-in serving documented shapes; parse_tmdb_search."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.errors import ConfigError, SourceError, SourceUnavailable
from bot.models import Metric, Score, Title
from bot.sources.tmdb import TmdbReviews, parse_tmdb_search

DATA = Path(__file__).parent / "data" / "reviews_api"
KEY = "tmdb-v3-secret-9c1e"
TOKEN = "tmdb-v4-read-token-77ab"
TODAY = date(2022, 6, 28)
NOW = datetime(2022, 6, 28, 12, 0, tzinfo=UTC)
BACKTRACE = Title("tm414073", "Backtrace", "movie", 2018, imdb_id="tt3588588")
OZARK = Title("ts53864", "Ozark", "show", 2017)
BACKTRACE_TMDB = Score(Metric.TMDB, 54.0, "5.4/10", "tmdb", TODAY, 321)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text("utf-8"))
    return payload


def movie(title: str, released: str | None, average: float, count: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": 1,
        "title": title,
        "original_title": title,
        "vote_average": average,
        "vote_count": count,
    }
    if released is not None:
        result["release_date"] = released
    return result


def search(*results: dict[str, Any]) -> dict[str, Any]:
    return {"page": 1, "results": list(results), "total_pages": 1, "total_results": 1}


# ---- parse_tmdb_search ---------------------------------------------------------------


def test_parse_picks_the_title_with_its_year() -> None:
    payload = load("tmdb_search_movie_backtrace_2018_modelled.json")
    assert parse_tmdb_search(payload, BACKTRACE, TODAY) == (BACKTRACE_TMDB,)


@pytest.mark.parametrize("year", [2018, 2017, 2019, None])
def test_parse_skips_namesakes_without_a_date_or_votes(year: int | None) -> None:
    payload = load("tmdb_search_movie_backtrace_any_year_modelled.json")
    title = Title("t", "Backtrace", "movie", year)
    assert parse_tmdb_search(payload, title, TODAY) == (BACKTRACE_TMDB,)


@pytest.mark.parametrize("year", [2010, 2016, 2020])
def test_parse_a_different_year_is_a_different_title(year: int) -> None:
    payload = load("tmdb_search_movie_backtrace_any_year_modelled.json")
    title = Title("t", "Backtrace", "movie", year)
    assert parse_tmdb_search(payload, title, TODAY) == ()


def test_parse_tells_remakes_apart_by_year() -> None:
    payload = search(
        movie("Endless Love", "2014-02-13", 6.4, 2500),
        movie("Endless Love", "1981-07-17", 5.3, 180),
    )
    for year, expected in ((1981, 53.0), (2014, 64.0)):
        title = Title("t", "Endless Love", "movie", year)
        (score,) = parse_tmdb_search(payload, title, TODAY)
        assert score.value == expected


def test_parse_prefers_the_exact_year_over_a_neighbour() -> None:
    payload = search(movie("Twins", "2019-01-01", 4.0, 10), movie("Twins", "2018-06-01", 7.0, 10))
    (score,) = parse_tmdb_search(payload, Title("t", "Twins", "movie", 2018), TODAY)
    assert score.raw == "7/10"


def test_parse_matches_names_ignoring_case_and_spacing_only() -> None:
    payload = search(
        movie("Backtrack", "2018-01-01", 9.0, 50),
        movie("  BACKTRACE ", "2018-12-14", 5.4, 321),
    )
    assert parse_tmdb_search(payload, BACKTRACE, TODAY) == (BACKTRACE_TMDB,)


def test_parse_matches_the_original_title() -> None:
    result = movie("Rückverfolgung", "2018-01-01", 6.1, 40)
    result["original_title"] = "Backtrace"
    assert parse_tmdb_search(search(result), BACKTRACE, TODAY) == (
        Score(Metric.TMDB, 61.0, "6.1/10", "tmdb", TODAY, 40),
    )


def test_parse_a_title_without_votes_has_no_score() -> None:
    payload = search(movie("Backtrace", "2018-12-14", 0.0, 0))
    assert parse_tmdb_search(payload, BACKTRACE, TODAY) == ()


def test_parse_tv_uses_name_and_first_air_date() -> None:
    payload = load("tmdb_search_tv_ozark_modelled.json")
    assert parse_tmdb_search(payload, OZARK, TODAY) == (
        Score(Metric.TMDB, 82.45, "8.245/10", "tmdb", TODAY, 3100),
    )
    as_movie = Title("t", "Ozark", "movie", 2017)
    assert parse_tmdb_search(payload, as_movie, TODAY) == ()


def test_parse_no_results_is_no_scores() -> None:
    assert parse_tmdb_search(load("tmdb_search_empty.json"), BACKTRACE, TODAY) == ()


def test_parse_rejects_an_error_envelope() -> None:
    with pytest.raises(SourceError, match="Invalid API key"):
        parse_tmdb_search(load("tmdb_error_401_invalid_key.json"), BACKTRACE, TODAY)


# ---- TmdbReviews over HTTP -----------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    fixture: str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    loop: bool = False  # redirect to itself until the client gives up


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class FakeTmdb:
    """A local TMDB under /3/: answers every GET with `reply` and records requests."""

    reply: Reply = field(default_factory=Reply)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        self.seen.append(Seen(request.path, dict(request.query), auth))
        reply = self.reply
        if reply.hang:
            await self.release.wait()
        if reply.loop:
            raise web.HTTPFound(location=str(request.rel_url))
        body = (DATA / reply.fixture).read_bytes() if reply.fixture else reply.body
        kind = "application/json" if reply.fixture else "text/html"
        return web.Response(
            status=reply.status, body=body, headers=reply.headers, content_type=kind
        )


@pytest.fixture
async def tmdb() -> AsyncIterator[FakeTmdb]:
    fake = FakeTmdb()
    app = web.Application()
    app.router.add_get("/3/{tail:.*}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    # The stand-in's access log would print the key; only the client is under test.
    await server.start_server(access_log=None)
    fake.url = str(server.make_url("/3/"))
    try:
        yield fake
    finally:
        fake.release.set()
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def with_key(fake: FakeTmdb, session: aiohttp.ClientSession) -> TmdbReviews:
    return TmdbReviews(session, api_key=KEY, base_url=fake.url, timeout=0.2, clock=lambda: NOW)


def assert_secrets_hidden(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    shown = "".join(traceback.format_exception(exc)) + repr(exc)
    messages = " ".join(record.getMessage() for record in caplog.records)
    for secret in (KEY, TOKEN):
        assert secret not in shown
        assert secret not in messages


async def test_v3_key_goes_in_the_query_string(tmdb, session, caplog):
    tmdb.reply = Reply(fixture="tmdb_search_movie_backtrace_2018_modelled.json")
    assert await with_key(tmdb, session).scores(BACKTRACE) == (BACKTRACE_TMDB,)
    assert tmdb.seen == [
        Seen(
            "/3/search/movie",
            {
                "api_key": KEY,
                "query": "Backtrace",
                "include_adult": "false",
                "year": "2018",
            },
            None,
        )
    ]
    assert all(KEY not in record.getMessage() for record in caplog.records)


async def test_v4_token_goes_in_the_authorization_header(tmdb, session):
    tmdb.reply = Reply(fixture="tmdb_search_tv_ozark_modelled.json")
    source = TmdbReviews(
        session, read_token=TOKEN, base_url=tmdb.url, timeout=0.2, clock=lambda: NOW
    )
    assert await source.scores(OZARK) == (
        Score(Metric.TMDB, 82.45, "8.245/10", "tmdb", TODAY, 3100),
    )
    (seen,) = tmdb.seen
    assert seen.path == "/3/search/tv"
    assert seen.query == {
        "query": "Ozark",
        "include_adult": "false",
        "first_air_date_year": "2017",
    }
    assert seen.authorization == f"Bearer {TOKEN}"


async def test_a_title_without_a_year_is_searched_without_one(tmdb, session):
    tmdb.reply = Reply(fixture="tmdb_search_movie_backtrace_any_year_modelled.json")
    undated = Title("t", "Backtrace", "movie", None)
    assert await with_key(tmdb, session).scores(undated) == (BACKTRACE_TMDB,)
    assert "year" not in tmdb.seen[0].query


async def test_no_match_is_no_scores(tmdb, session):
    tmdb.reply = Reply(fixture="tmdb_search_empty.json")
    assert await with_key(tmdb, session).scores(BACKTRACE) == ()


def test_needs_a_key_or_a_token() -> None:
    with pytest.raises(ConfigError, match="TMDB_API_KEY or TMDB_READ_TOKEN"):
        TmdbReviews(object(), clock=lambda: NOW)  # type: ignore[arg-type]


async def test_invalid_key_is_unavailable_and_never_shown(tmdb, session, caplog):
    tmdb.reply = Reply(401, fixture="tmdb_error_401_invalid_key.json")
    with pytest.raises(SourceUnavailable, match="status_code 7") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert info.value.retry_after is None
    assert any("refused the credentials" in r.getMessage() for r in caplog.records)
    assert_secrets_hidden(info.value, caplog)


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("7", 7.0), ("0", 0.0), ("Tue, 28 Jun 2022 12:00:30 GMT", 30.0), ("soon", None)],
)
async def test_429_passes_retry_after_on_without_sleeping(
    tmdb, session, caplog, retry_after, seconds
):
    tmdb.reply = Reply(
        429,
        fixture="tmdb_error_429_over_limit.json",
        headers={"Retry-After": retry_after},
    )
    source = with_key(tmdb, session)
    with pytest.raises(SourceUnavailable, match="HTTP 429") as info:
        await asyncio.wait_for(source.scores(BACKTRACE), timeout=1)
    assert info.value.retry_after == seconds
    assert len(tmdb.seen) == 1
    assert_secrets_hidden(info.value, caplog)


@pytest.mark.parametrize(
    ("status", "fixture"),
    [(500, None), (503, None), (504, "tmdb_error_504_backend_timeout.json")],
)
async def test_server_errors_are_unavailable(tmdb, session, caplog, status, fixture):
    tmdb.reply = Reply(status, fixture=fixture, body=b"<html>Bad gateway</html>")
    with pytest.raises(SourceUnavailable, match=f"HTTP {status}") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert len(tmdb.seen) == 1
    assert_secrets_hidden(info.value, caplog)


async def test_no_answer_within_the_timeout_is_unavailable(tmdb, session, caplog):
    tmdb.reply = Reply(fixture="tmdb_search_empty.json", hang=True)
    with pytest.raises(SourceUnavailable, match="no answer within 0.2 s") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert_secrets_hidden(info.value, caplog)


async def test_redirect_loop_is_unavailable_and_hides_the_url(tmdb, session, caplog):
    # aiohttp's own TooManyRedirects message quotes the full URL, key included.
    tmdb.reply = Reply(loop=True)
    with pytest.raises(SourceUnavailable, match="TooManyRedirects") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert_secrets_hidden(info.value, caplog)


async def test_a_body_that_is_not_json_is_a_source_error(tmdb, session, caplog):
    tmdb.reply = Reply(200, body=b"<!doctype html><title>Just a moment...</title>")
    with pytest.raises(SourceError, match="not JSON") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert not isinstance(info.value, SourceUnavailable)
    assert_secrets_hidden(info.value, caplog)


async def test_other_client_errors_are_source_errors(tmdb, session, caplog):
    tmdb.reply = Reply(404, fixture="tmdb_error_404_not_found.json")
    with pytest.raises(SourceError, match="status_code 34") as info:
        await with_key(tmdb, session).scores(BACKTRACE)
    assert not isinstance(info.value, SourceUnavailable)
    assert_secrets_hidden(info.value, caplog)
