"""OmdbReviews against a local OMDb stand-in serving documented shapes; parse_omdb."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import SourceError, SourceUnavailable
from bot.models import Metric, Score, Title
from bot.sources.omdb import OmdbReviews, parse_omdb

DATA = Path(__file__).parent / "data" / "reviews_api"
KEY = "omdb-secret-key-5f3a"
TODAY = date(2022, 6, 28)
BACKTRACE = Title("tm414073", "Backtrace", "movie", 2018, imdb_id="tt3588588")
OZARK = Title("ts53864", "Ozark", "show", 2017)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text("utf-8"))
    return payload


# ---- parse_omdb ----------------------------------------------------------------------


def test_parse_backtrace_gives_imdb_with_votes_and_rt_critics() -> None:
    scores = parse_omdb(load("omdb_backtrace_tt3588588_modelled.json"), TODAY)
    assert scores == (
        Score(Metric.IMDB, 38.0, "3.8/10", "omdb", TODAY, 4453),
        Score(Metric.RT_CRITICS, 9.0, "9%", "omdb", TODAY),
    )


def test_parse_series_with_na_fields_and_no_rt() -> None:
    scores = parse_omdb(load("omdb_series_ozark_modelled.json"), TODAY)
    assert scores == (Score(Metric.IMDB, 85.0, "8.5/10", "omdb", TODAY, 300454),)


def test_parse_all_three_ratings_as_in_the_documented_example() -> None:
    payload = {
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": "7.7/10"},
            {"Source": "Rotten Tomatoes", "Value": "83%"},
            {"Source": "Metacritic", "Value": "67/100"},
        ],
        "Metascore": "67",
        "imdbRating": "7.7",
        "imdbVotes": "584,069",
        "Type": "movie",
        "Response": "True",
    }
    assert parse_omdb(payload, TODAY) == (
        Score(Metric.IMDB, 77.0, "7.7/10", "omdb", TODAY, 584069),
        Score(Metric.RT_CRITICS, 83.0, "83%", "omdb", TODAY),
        Score(Metric.METACRITIC, 67.0, "67/100", "omdb", TODAY),
    )


def test_parse_falls_back_to_bare_fields_without_ratings() -> None:
    payload = {
        "Ratings": [],
        "imdbRating": "6.1",
        "imdbVotes": "N/A",
        "Metascore": "45",
        "Response": "True",
    }
    assert parse_omdb(payload, TODAY) == (
        Score(Metric.IMDB, 61.0, "6.1/10", "omdb", TODAY, None),
        Score(Metric.METACRITIC, 45.0, "45/100", "omdb", TODAY),
    )


def test_parse_everything_na_gives_no_scores() -> None:
    payload = {
        "Ratings": [{"Source": "Rotten Tomatoes", "Value": "N/A"}],
        "imdbRating": "N/A",
        "imdbVotes": "N/A",
        "Metascore": "N/A",
        "Response": "True",
    }
    assert parse_omdb(payload, TODAY) == ()


def test_parse_skips_values_out_of_range() -> None:
    payload = {
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": "11/10"},
            {"Source": "Rotten Tomatoes", "Value": "140%"},
            {"Source": "Metacritic", "Value": "67/100"},
        ],
        "Response": "True",
    }
    assert parse_omdb(payload, TODAY) == (Score(Metric.METACRITIC, 67.0, "67/100", "omdb", TODAY),)


@pytest.mark.parametrize("error", ["Movie not found!", "Error getting data.", "Incorrect IMDb ID."])
def test_parse_unknown_title_is_no_scores_not_an_error(error: str) -> None:
    assert parse_omdb({"Response": "False", "Error": error}, TODAY) == ()


@pytest.mark.parametrize("name", ["invalid_api_key", "request_limit_reached"])
def test_parse_key_and_quota_errors_are_unavailable(name: str) -> None:
    with pytest.raises(SourceUnavailable):
        parse_omdb(load(f"omdb_error_{name}.json"), TODAY)


@pytest.mark.parametrize(
    "payload", [{}, {"Response": "False", "Error": "Something broke."}, {"Title": "X"}]
)
def test_parse_rejects_what_is_not_a_title_answer(payload: dict[str, Any]) -> None:
    with pytest.raises(SourceError) as info:
        parse_omdb(payload, TODAY)
    assert not isinstance(info.value, SourceUnavailable)


_VALUES = st.one_of(st.text(max_size=8), st.from_regex(r"\d{1,3}(\.\d)?(/10|/100|%)"))


@given(
    imdb=_VALUES,
    rt=_VALUES,
    meta=_VALUES,
    votes=st.one_of(st.text(max_size=8), st.from_regex(r"\d{1,3}(,\d{3}){0,2}")),
)
def test_parse_any_values_give_scores_within_0_to_100(
    imdb: str, rt: str, meta: str, votes: str
) -> None:
    payload = {
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": imdb},
            {"Source": "Rotten Tomatoes", "Value": rt},
            {"Source": "Metacritic", "Value": meta},
        ],
        "imdbVotes": votes,
        "Response": "True",
    }
    for score in parse_omdb(payload, TODAY):
        assert 0 <= score.value <= 100
        assert score.votes is None or score.votes >= 0


# ---- OmdbReviews over HTTP -----------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    fixture: str | None = None
    body: bytes = b""
    hang: bool = False
    loop: bool = False  # redirect to itself until the client gives up


@dataclass
class FakeOmdb:
    """A local OMDb: answers every GET with `reply` and records the query strings."""

    reply: Reply = field(default_factory=Reply)
    queries: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.queries.append(dict(request.query))
        reply = self.reply
        if reply.hang:
            await self.release.wait()
        if reply.loop:
            raise web.HTTPFound(location=str(request.rel_url))
        body = (DATA / reply.fixture).read_bytes() if reply.fixture else reply.body
        kind = "application/json" if reply.fixture else "text/html"
        return web.Response(status=reply.status, body=body, content_type=kind)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def omdb() -> AsyncIterator[FakeOmdb]:
    fake = FakeOmdb()
    app = web.Application()
    app.router.add_get("/", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    # The stand-in's access log would print the key; only the client is under test.
    await server.start_server(access_log=None)
    fake.url = str(server.make_url("/"))
    try:
        yield fake
    finally:
        fake.release.set()
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2022, 6, 28, 23, 59, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def reviews(fake: FakeOmdb, session: aiohttp.ClientSession, clock: Clock) -> OmdbReviews:
    return OmdbReviews(session, KEY, base_url=fake.url, timeout=0.2, clock=clock)


def assert_key_hidden(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    shown = "".join(traceback.format_exception(exc)) + repr(exc)
    assert KEY not in shown
    assert all(KEY not in record.getMessage() for record in caplog.records)


async def test_looks_up_by_imdb_id_and_dates_the_scores(omdb, session, clock, caplog):
    omdb.reply = Reply(fixture="omdb_backtrace_tt3588588_modelled.json")
    scores = await reviews(omdb, session, clock).scores(BACKTRACE)
    assert scores == (
        Score(Metric.IMDB, 38.0, "3.8/10", "omdb", date(2022, 6, 28), 4453),
        Score(Metric.RT_CRITICS, 9.0, "9%", "omdb", date(2022, 6, 28)),
    )
    assert omdb.queries == [{"apikey": KEY, "i": "tt3588588"}]
    assert all(KEY not in record.getMessage() for record in caplog.records)


async def test_fetch_date_is_the_utc_date_of_the_clock(omdb, session):
    omdb.reply = Reply(fixture="omdb_backtrace_tt3588588_modelled.json")
    late = datetime(2022, 6, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    scores = await reviews(omdb, session, Clock(late)).scores(BACKTRACE)
    assert {score.fetched for score in scores} == {date(2022, 6, 28)}


async def test_without_imdb_id_looks_up_series_by_name_type_and_year(omdb, session, clock):
    omdb.reply = Reply(fixture="omdb_series_ozark_modelled.json")
    scores = await reviews(omdb, session, clock).scores(OZARK)
    assert scores == (Score(Metric.IMDB, 85.0, "8.5/10", "omdb", TODAY, 300454),)
    assert omdb.queries == [{"apikey": KEY, "t": "Ozark", "type": "series", "y": "2017"}]


async def test_unknown_title_is_no_scores(omdb, session, clock):
    omdb.reply = Reply(fixture="omdb_error_movie_not_found.json")
    unknown = Title("x", "No Such Film", "movie", None)
    assert await reviews(omdb, session, clock).scores(unknown) == ()
    assert omdb.queries == [{"apikey": KEY, "t": "No Such Film", "type": "movie"}]


async def test_invalid_key_is_unavailable_and_never_shown(omdb, session, clock, caplog):
    omdb.reply = Reply(401, fixture="omdb_error_invalid_api_key.json")
    with pytest.raises(SourceUnavailable, match="Invalid API key") as info:
        await reviews(omdb, session, clock).scores(BACKTRACE)
    assert any("rejected the API key" in r.getMessage() for r in caplog.records)
    assert_key_hidden(info.value, caplog)


async def test_quota_pauses_all_calls_until_next_utc_midnight(omdb, session, clock, caplog):
    source = reviews(omdb, session, clock)
    omdb.reply = Reply(401, fixture="omdb_error_request_limit_reached.json")
    with pytest.raises(SourceUnavailable) as info:
        await source.scores(BACKTRACE)
    assert info.value.retry_after == 60.0  # 23:59 → midnight
    assert_key_hidden(info.value, caplog)
    assert len(omdb.queries) == 1

    omdb.reply = Reply(fixture="omdb_backtrace_tt3588588_modelled.json")
    clock.now += timedelta(seconds=59, microseconds=999_999)
    for title in (BACKTRACE, OZARK):
        with pytest.raises(SourceUnavailable) as info:
            await source.scores(title)
        assert 0 < (info.value.retry_after or 0) <= 1
    assert len(omdb.queries) == 1  # nothing was sent while paused

    clock.now = datetime(2022, 6, 29, 0, 0, tzinfo=UTC)
    scores = await source.scores(BACKTRACE)
    assert len(omdb.queries) == 2
    assert {score.fetched for score in scores} == {date(2022, 6, 29)}


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_unavailable(omdb, session, clock, caplog, status):
    omdb.reply = Reply(status, body=b"<html><body>Service Unavailable</body></html>")
    with pytest.raises(SourceUnavailable, match=f"HTTP {status}") as info:
        await reviews(omdb, session, clock).scores(BACKTRACE)
    assert_key_hidden(info.value, caplog)


async def test_no_answer_within_the_timeout_is_unavailable(omdb, session, clock, caplog):
    omdb.reply = Reply(fixture="omdb_backtrace_tt3588588_modelled.json", hang=True)
    with pytest.raises(SourceUnavailable, match="no answer within 0.2 s") as info:
        await reviews(omdb, session, clock).scores(BACKTRACE)
    assert_key_hidden(info.value, caplog)


async def test_refused_connection_is_unavailable(session, clock, caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = OmdbReviews(
        session, KEY, base_url=f"http://127.0.0.1:{port}/", timeout=0.2, clock=clock
    )
    with pytest.raises(SourceUnavailable) as info:
        await source.scores(BACKTRACE)
    assert_key_hidden(info.value, caplog)


async def test_redirect_loop_is_unavailable_and_hides_the_url(omdb, session, clock, caplog):
    # aiohttp's own TooManyRedirects message quotes the full URL, key included.
    omdb.reply = Reply(loop=True)
    with pytest.raises(SourceUnavailable, match="TooManyRedirects") as info:
        await reviews(omdb, session, clock).scores(BACKTRACE)
    assert len(omdb.queries) > 1
    assert_key_hidden(info.value, caplog)


@pytest.mark.parametrize("body", [b"<html>Moved</html>", b"", b"\xff\xfe{"])
async def test_a_body_that_is_not_json_is_a_source_error(omdb, session, clock, caplog, body):
    omdb.reply = Reply(200, body=body)
    with pytest.raises(SourceError, match="not JSON") as info:
        await reviews(omdb, session, clock).scores(BACKTRACE)
    assert not isinstance(info.value, SourceUnavailable)
    assert_key_hidden(info.value, caplog)


async def test_json_that_is_not_an_object_is_a_source_error(omdb, session, clock):
    omdb.reply = Reply(200, body=b"null")
    with pytest.raises(SourceError, match="expected a JSON object"):
        await reviews(omdb, session, clock).scores(BACKTRACE)
