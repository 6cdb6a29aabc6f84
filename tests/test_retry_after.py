"""Retry-After read once for every caller (seconds or HTTP date, clamped), and one feed's failure
never stopping the others: a hostile server on 127.0.0.1 asks for 99999999 s, 1e400 s, dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.slack_web import retry_after as slack_retry_after
from bot.cli.compose import build_core
from bot.config import Config
from bot.errors import SourceUnavailable
from bot.jobs import FEED_BACKOFF_CAP, Feed, feed_backoff, refresh_charts
from bot.metrics import Metrics
from bot.models import Title
from bot.notify import Notifier
from bot.retry_after import DELIVERY_MAX, FEED_MAX, REVIEWS_MAX, parse_retry_after
from bot.sources import netflix, top10_fetch
from bot.sources.catalog import Catalog
from bot.sources.omdb import OmdbReviews
from bot.sources.tmdb import TmdbReviews
from bot.store import Store
from tests.conftest import TEST_DATA, seeded_copy
from tests.fakes import FakeClock, FakeSleep, RecordingAdapter

NOW = datetime(2022, 7, 5, 12, 0, tzinfo=UTC)
COUNTRIES = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
BACKTRACE = Title("tm414073", "Backtrace", "movie", 2018, imdb_id="tt3588588")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-30", 0.0),
        ("99999999", FEED_MAX),  # 1,157 days: cut to the cap
        ("1e400", FEED_MAX),  # float("1e400") is inf; once an OverflowError in every refresh
        ("inf", FEED_MAX),
        (format_datetime(NOW + timedelta(hours=2), usegmt=True), 7200.0),
        (format_datetime(NOW - timedelta(hours=2), usegmt=True), 0.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", FEED_MAX),
        ("Tue, 05 Jul 2022 13:00:00", 3600.0),  # no zone: UTC
    ],
)
def test_seconds_and_dates_are_read_and_clamped(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=NOW, maximum=FEED_MAX) == expected


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "NaN", "Mon, 99 Foo 2022", "1,5"])
def test_unreadable_values_count_as_absent(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW, maximum=FEED_MAX) is None
    assert parse_retry_after(value, now=NOW, maximum=60.0, default=1.0) == 1.0
    assert parse_retry_after(value, now=NOW, maximum=60.0, default=1e9) == 60.0


def test_slack_uses_the_shared_parser_clamped_to_the_delivery_cap() -> None:
    assert slack_retry_after({"Retry-After": "1e400"}) == DELIVERY_MAX
    assert slack_retry_after({"retry-after": ["30"]}) == 30.0
    assert slack_retry_after({"Retry-After": "soon"}) == 1.0
    assert slack_retry_after({}) == 1.0


# ---- the sources, against a server that asks for absurd waits ----------------------------------


class Hostile:
    """Answers every path with `status` and a Retry-After the test sets; counts requests."""

    def __init__(self) -> None:
        self.status = 503
        self.retry_after = "1e400"
        self.body = b"{}"
        self.requests: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("GET", "/{tail:.*}", self.serve)

    async def serve(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if self.status == 200:
            return web.Response(body=self.body)
        return web.Response(
            status=self.status, body=self.body, headers={"Retry-After": self.retry_after}
        )


@pytest.fixture
async def hostile():
    fake = Hostile()
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield fake, server, session
    await server.close()


@pytest.mark.parametrize("header", ["99999999", "1e400", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_netflix_fetch_clamps_retry_after_to_six_hours(hostile, header: str) -> None:
    fake, server, session = hostile
    fake.retry_after = header
    with pytest.raises(SourceUnavailable) as caught:
        await top10_fetch.fetch(session, str(server.make_url("/countries.tsv")), clock=lambda: NOW)
    assert caught.value.retry_after == FEED_MAX


async def test_netflix_fetch_reads_an_http_date_against_the_injected_clock(hostile) -> None:
    fake, server, session = hostile
    fake.retry_after = format_datetime(NOW + timedelta(minutes=30), usegmt=True)
    with pytest.raises(SourceUnavailable) as caught:
        await top10_fetch.fetch(session, str(server.make_url("/countries.tsv")), clock=lambda: NOW)
    assert caught.value.retry_after == 1800.0


async def test_tmdb_429_clamps_retry_after(hostile) -> None:
    fake, server, session = hostile
    fake.status, fake.body = 429, json.dumps({"status_code": 25, "status_message": "slow"}).encode()
    tmdb = TmdbReviews(
        session, api_key="k", base_url=str(server.make_url("/3/")), clock=lambda: NOW
    )
    with pytest.raises(SourceUnavailable) as caught:
        await tmdb.scores(BACKTRACE)
    assert caught.value.retry_after == REVIEWS_MAX


@pytest.mark.parametrize(("status", "header"), [(429, "1e400"), (503, "120")])
async def test_omdb_passes_a_clamped_retry_after_on(hostile, status: int, header: str) -> None:
    fake, server, session = hostile
    fake.status, fake.retry_after = status, header
    omdb = OmdbReviews(session, "k", base_url=str(server.make_url("/")), clock=lambda: NOW)
    with pytest.raises(SourceUnavailable) as caught:
        await omdb.scores(BACKTRACE)
    assert caught.value.retry_after == min(float(header), REVIEWS_MAX)


# ---- the refresh loop ----------------------------------------------------------------------------


@pytest.fixture
async def refresh_world(tmp_path: Path, catalog: Catalog, clock: FakeClock, seeded_db: Path):
    clock.now = datetime(2022, 7, 20, 12, tzinfo=UTC)  # the file's last week (07-17) is over
    store = await Store.open(seeded_copy(seeded_db, tmp_path / "refresh.db"))
    metrics = Metrics()
    core = build_core(store, Config(), catalog=catalog, clock=clock, metrics=metrics)
    notifier = Notifier(store, {"test": RecordingAdapter()}, clock, sleep=FakeSleep(),
                        metrics=metrics)  # fmt: skip
    yield core, notifier, metrics
    await store.close()


class Exploding:
    """A feed whose fetch fails with something no one planned for."""

    name = "exploding"

    async def fetch(self, etag: str | None, last_modified: str | None) -> netflix.Fetched:
        raise RuntimeError("disk on fire")


async def test_a_hostile_retry_after_is_recorded_and_the_next_feed_still_refreshes(
    refresh_world, hostile, clock: FakeClock
) -> None:
    core, notifier, metrics = refresh_world
    fake, server, session = hostile
    busy = Feed(str(server.make_url("/busy.tsv")), session)
    local = Feed(str(COUNTRIES), None)
    first, second = await refresh_charts(core, notifier, [busy, local], clock, metrics)
    assert first.outcome == "unavailable"
    assert second.outcome == "changed"  # not starved by the feed before it
    health = await core.store.source_health(busy.name)
    assert health.failures == 1  # recorded, so /healthz says "degraded"
    assert health.next_attempt_at == clock() + FEED_BACKOFF_CAP

    # 99999999 s (1,157 days) is cut to 6 h too
    fake.retry_after = "99999999"
    clock.advance(hours=6)
    again = await refresh_charts(core, notifier, [busy], clock, metrics)
    assert again[0].outcome == "unavailable"
    assert (await core.store.source_health(busy.name)).next_attempt_at == clock() + FEED_MAX_DELTA


FEED_MAX_DELTA = timedelta(seconds=FEED_MAX)


async def test_a_feed_raising_anything_is_recorded_and_never_stops_the_others(
    refresh_world, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    core, notifier, metrics = refresh_world
    local = Feed(str(COUNTRIES), None)
    first, second = await refresh_charts(core, notifier, [Exploding(), local], clock, metrics)  # type: ignore[list-item]
    assert (first.outcome, first.detail) == ("failed", "RuntimeError: disk on fire")
    assert second.outcome == "changed"
    health = await core.store.source_health("exploding")
    assert health.failures == 1 and health.next_attempt_at == clock() + feed_backoff(0)
    assert "Traceback" not in caplog.text


async def test_a_stored_wait_beyond_the_cap_is_not_honoured(
    refresh_world, clock: FakeClock
) -> None:
    """An older version stored 'next try in 1,157 days'; it must not silence the feed for years."""
    core, notifier, metrics = refresh_world
    local = Feed(str(COUNTRIES), None)
    await core.store.record_source_failure(local.name, "HTTP 503", clock(), timedelta(days=1157))
    clock.advance(hours=1)
    assert (await refresh_charts(core, notifier, [local], clock, metrics))[0].outcome == "waiting"
    clock.advance(hours=5)
    assert (await refresh_charts(core, notifier, [local], clock, metrics))[0].outcome == "changed"
