"""Netflix Top 10 files: every real schema parses, every real or made-up breakage is rejected
clearly, and fetching works against a local aiohttp server (200, 304, 301, null, slow, 5xx)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import SourceError, SourceUnavailable
from bot.models import GLOBAL, ChartKey
from bot.sources.netflix import parse_top10
from bot.sources.top10_fetch import fetch, read_local
from tests.conftest import SHARED, TEST_DATA, needs_shared

NETFLIX = TEST_DATA / "netflix"
COUNTRIES = NETFLIX / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"


def parse(name: str) -> tuple:
    return parse_top10((NETFLIX / name).read_bytes(), name)


def test_countries_file_parses_into_complete_lists() -> None:
    charts = parse(COUNTRIES.name)
    assert len(charts) == 4 * 2 * 7  # regions × categories × weeks
    us = next(c for c in charts if c.key == ChartKey("US", "films") and c.week == date(2022, 6, 26))
    assert [r.rank for r in us.rows] == list(range(1, 11))
    backtrace = us.rows[7]
    assert (backtrace.title, backtrace.season, backtrace.weeks_in_top10) == ("Backtrace", None, 1)


@pytest.mark.parametrize(
    ("name", "hours", "views"),
    [
        ("global_7col_2022-06-19_to_2022-07-03.tsv", 62_640_000, None),
        ("global_11col_2024-11-03_to_2024-11-10.tsv", 32_000_000, 18_100_000),
        ("global_12col_2025-06-15_to_2025-06-22.tsv", 36_000_000, 20_000_000),
        ("global_9col_2026-07-12_to_2026-07-19.tsv", 16_600_000, 11_100_000),
    ],
)
def test_every_global_schema_parses_by_header(name: str, hours: int, views: int | None) -> None:
    charts = parse(name)
    keys = {c.key for c in charts}
    assert keys == {
        ChartKey(GLOBAL, "films", "english"),
        ChartKey(GLOBAL, "films", "non-english"),
        ChartKey(GLOBAL, "tv", "english"),
        ChartKey(GLOBAL, "tv", "non-english"),
    }
    latest = max(c.week for c in charts)
    top = next(
        c
        for c in charts
        if c.week == latest and c.key.category == "films" and c.key.language == "english"
    ).rows[0]
    assert top.hours_viewed == hours
    assert top.views == views


def test_global_7col_holds_the_backtrace_week() -> None:
    charts = parse("global_7col_2022-06-19_to_2022-07-03.tsv")
    films = next(
        c
        for c in charts
        if c.week == date(2022, 7, 3) and c.key == ChartKey(GLOBAL, "films", "english")
    )
    assert films.rows[9].title == "Backtrace"
    assert films.rows[0].title == "The Man from Toronto"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("all-weeks-countries_moved-permanently_2023-06-01.tsv", "is an HTML page"),
        ("all-weeks-countries_null_2023-12-17.tsv", "literal 'null'"),
        ("most-popular.tsv", "not a weekly Top 10 file"),
    ],
)
def test_real_broken_downloads_are_rejected_with_a_reason(name: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        parse(name)
    assert name in str(caught.value)


def test_html_stub_message_quotes_the_page() -> None:
    with pytest.raises(SourceError, match="Moved Permanently"):
        parse("all-weeks-countries_moved-permanently_2023-06-01.tsv")


def _field(line: str, index: int, value: str) -> str:
    fields = line.split("\t")
    fields[index] = value
    return "\t".join(fields)


def _countries_lines() -> list[str]:
    return COUNTRIES.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda ls: ls[:-3], "missing rank"),  # cut at a line boundary
        (lambda ls: ls[:-1] + [ls[-1][:20]], "has 3 fields, expected 8"),  # cut mid-line
        (lambda ls: [ls[0].replace("\tweekly_rank", "\tposition")] + ls[1:], "weekly_rank"),
        (lambda ls: ls[:5] + [ls[5].replace("2022-", "22-", 1)] + ls[6:], "expected YYYY-MM-DD"),
        (lambda ls: ls[:5] + [ls[5].replace("2022-07-17", "2022-07-16")] + ls[6:], "Sunday"),
        (lambda ls: ls[:5] + [ls[5].replace("2022-07-17", "2022-02-31")] + ls[6:], "impossible"),
        (lambda ls: ls[:2] + [ls[2].replace("\t2\t", "\t1\t", 1)] + ls[3:], "appears more than"),
        (lambda ls: ls[:3] + [ls[3].replace("\tFilms\t", "\tGames\t")] + ls[4:], "category"),
        (lambda ls: ls[:3] + [_field(ls[3], 1, "USA")] + ls[4:], "two-letter"),
        (lambda ls: ls[:3] + [_field(ls[3], 5, "  ")] + ls[4:], "empty show_title"),
        (lambda ls: ls[:1], "no rows"),
        (lambda ls: [ls[0], "\t".join(["", "", "", "", "1", "X", "N/A", "1"])], "YYYY-MM-DD"),
        (lambda ls: ls + [ln.replace("\tFilms\t", "\tfilms\t") for ln in ls[1:11]], "twice"),
        (lambda ls: ls[:4] + [""] + ls[4:], "blank"),
    ],
)
def test_damaged_files_are_rejected_whole(mangle, message: str) -> None:
    body = "\n".join(mangle(_countries_lines())).encode()
    with pytest.raises(SourceError, match=message):
        parse_top10(body, "damaged.tsv")


def test_not_utf8_and_xlsx_are_rejected() -> None:
    with pytest.raises(SourceError, match="not UTF-8"):
        parse_top10(b"week\tcategory\n\xff\xfe", "latin.tsv")
    with pytest.raises(SourceError, match="XLSX"):
        parse_top10(b"PK\x03\x04rest-of-zip", "book.xlsx")


def test_crlf_and_trailing_newline_are_accepted() -> None:
    body = COUNTRIES.read_bytes().replace(b"\n", b"\r\n") + b"\r\n"
    assert len(parse_top10(body, "crlf.tsv")) == 56


def test_unknown_columns_are_ignored() -> None:
    lines = _countries_lines()
    body = "\n".join(line + "\textra" for line in lines).encode()
    charts = parse_top10(body, "extra.tsv")
    assert len(charts) == 56


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_source_error(body: bytes) -> None:
    try:
        parse_top10(body, "fuzz")
    except SourceError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="\t\n0123456789-USFilmsTVweek_rankcategoryshow_title N/A", max_size=300))
def test_tsv_like_text_raises_only_source_error(text: str) -> None:
    header = "country_iso2\tweek\tcategory\tweekly_rank\tshow_title\n"
    try:
        parse_top10((header + text).encode(), "fuzz")
    except SourceError:
        pass


@needs_shared
@pytest.mark.parametrize(
    "path",
    sorted((SHARED / "netflix").glob("*.tsv")) + sorted((SHARED / "netflix").glob("*/*.tsv")),
    ids=lambda p: p.name,
)
def test_every_real_file_in_shared_parses_or_is_rejected(path: Path) -> None:
    body = path.read_bytes()
    broken = "broken_fetch" in path.parts or "most-popular" in path.name
    if broken:
        with pytest.raises(SourceError):
            parse_top10(body, path.name)
        return
    charts = parse_top10(body, path.name)
    assert charts and all(len(c.rows) == 10 for c in charts)
    assert sum(len(c.rows) for c in charts) == body.decode().strip().count("\n")


@needs_shared
def test_xlsx_export_is_rejected_with_a_hint() -> None:
    path = SHARED / "netflix" / "all-weeks-countries_2021-07-04_to_2022-11-13.xlsx"
    with pytest.raises(SourceError, match="export it as TSV"):
        parse_top10(path.read_bytes(), path.name)


def test_read_local_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_local(tmp_path / "missing.tsv")
    with pytest.raises(SourceError, match="is a directory"):
        read_local(tmp_path)
    big = tmp_path / "big.tsv"
    big.write_bytes(b"x" * 100)
    with pytest.raises(SourceError, match="over the cap"):
        read_local(big, max_bytes=10)


# ---- fetching over HTTP ----------------------------------------------------------------------


class FakeNetflix:
    """A local stand-in for netflix.com's data files."""

    def __init__(self) -> None:
        self.body = COUNTRIES.read_bytes()
        self.etag = '"v1"'
        self.requests: list[dict[str, str]] = []
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/top10/data/all-weeks-countries.tsv", self.serve)
        app.router.add_get("/moved.tsv", self.moved)
        app.router.add_get("/null.tsv", self.null)
        app.router.add_get("/slow.tsv", self.slow)
        app.router.add_get("/busy.tsv", self.busy)
        app.router.add_get("/huge.tsv", self.huge)
        app.router.add_get("/gone.tsv", self.gone)
        app.router.add_get("/loop.tsv", self.loop)
        self.app = app

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304, headers={"ETag": self.etag})
        return web.Response(
            body=self.body,
            content_type="text/tab-separated-values",
            headers={"ETag": self.etag, "Last-Modified": "Tue, 19 Jul 2022 17:00:00 GMT"},
        )

    async def moved(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/top10/data/all-weeks-countries.tsv")

    async def null(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"null", content_type="text/plain")

    async def slow(self, request: web.Request) -> web.StreamResponse:
        await self.release.wait()  # never set during the request: the client times out
        return web.Response(body=b"")

    async def busy(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=503, headers={"Retry-After": "120"})

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 4096)
        return response

    async def gone(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, reason="Not Found")

    async def loop(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop.tsv")


@pytest.fixture
async def netflix_server():
    fake = FakeNetflix()
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield fake, server, session
    fake.release.set()
    await server.close()


async def test_fetch_200_then_304_with_etag(netflix_server) -> None:
    fake, server, session = netflix_server
    url = str(server.make_url("/top10/data/all-weeks-countries.tsv"))
    first = await fetch(session, url)
    assert first.body == fake.body and first.etag == '"v1"'
    assert first.last_modified == "Tue, 19 Jul 2022 17:00:00 GMT"
    second = await fetch(session, url, etag=first.etag, last_modified=first.last_modified)
    assert second.body is None
    assert fake.requests[-1]["If-None-Match"] == '"v1"'
    assert fake.requests[-1]["If-Modified-Since"] == "Tue, 19 Jul 2022 17:00:00 GMT"


async def test_fetch_follows_a_301_redirect(netflix_server) -> None:
    fake, server, session = netflix_server
    fetched = await fetch(session, str(server.make_url("/moved.tsv")))
    assert fetched.body == fake.body
    assert len(parse_top10(fetched.body, fetched.url)) == 56


async def test_fetched_null_body_is_rejected_by_the_parser(netflix_server) -> None:
    _fake, server, session = netflix_server
    fetched = await fetch(session, str(server.make_url("/null.tsv")))
    with pytest.raises(SourceError, match="literal 'null'"):
        parse_top10(fetched.body or b"", fetched.url)


async def test_slow_server_times_out_as_unavailable(netflix_server) -> None:
    _fake, server, session = netflix_server
    with pytest.raises(SourceUnavailable, match="within 0.2 s"):
        await fetch(session, str(server.make_url("/slow.tsv")), timeout=0.2)


async def test_5xx_is_unavailable_with_retry_after(netflix_server) -> None:
    _fake, server, session = netflix_server
    with pytest.raises(SourceUnavailable) as caught:
        await fetch(session, str(server.make_url("/busy.tsv")))
    assert caught.value.retry_after == 120.0


async def test_size_cap_stops_reading(netflix_server) -> None:
    _fake, server, session = netflix_server
    with pytest.raises(SourceError, match="refusing to read on"):
        await fetch(session, str(server.make_url("/huge.tsv")), max_bytes=10_000)


async def test_404_and_redirect_loops_are_source_errors(netflix_server) -> None:
    _fake, server, session = netflix_server
    with pytest.raises(SourceError, match="HTTP 404"):
        await fetch(session, str(server.make_url("/gone.tsv")))
    with pytest.raises(SourceError, match="too many redirects"):
        await fetch(session, str(server.make_url("/loop.tsv")))


async def test_connection_refused_is_unavailable() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(SourceUnavailable):
            await fetch(session, "http://127.0.0.1:9/nothing.tsv", timeout=2)


def test_interleaved_lists_still_parse_and_an_extra_row_is_a_duplicate() -> None:
    lines = _countries_lines()
    header, rows = lines[0], lines[1:]
    # the same rows in a different order: lists no longer come in blocks
    shuffled = "\n".join([header] + rows[::2] + rows[1::2]).encode()
    assert {(c.key, c.week) for c in parse_top10(shuffled, "interleaved")} == {
        (c.key, c.week) for c in parse_top10(COUNTRIES.read_bytes(), "sorted")
    }
    # an 11th row for a list that was already complete
    extra = "\n".join([header] + rows + [rows[0]]).encode()
    with pytest.raises(SourceError, match="appears more than once"):
        parse_top10(extra, "extra")


def test_streaming_yields_lists_before_the_file_is_finished() -> None:
    from bot.sources.netflix import iter_top10

    lines = _countries_lines()
    broken = "\n".join(lines + ["not\ta\tvalid\tline"]).encode()
    stream = iter_top10(broken, "late-error")
    first = next(stream)
    assert len(first.rows) == 10  # a complete list arrives while the bad line is still ahead
    with pytest.raises(SourceError, match="has 4 fields"):
        list(stream)
