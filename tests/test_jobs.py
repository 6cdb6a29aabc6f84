"""Scheduled jobs, called directly: a local aiohttp server plays Netflix (week N, then N+1, then a
`null` body, then an HTML stub) and alerts reach a recording adapter exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.__main__ import build_core
from bot.config import Config, load_config
from bot.core import Core
from bot.errors import SourceUnavailable
from bot.jobs import (
    Feed,
    feed_backoff,
    fetch_scores,
    prune_outbox,
    refresh_charts,
    schedule,
    weekly_digest,
)
from bot.metrics import Metrics
from bot.models import Context, Metric, Score, Title
from bot.notify import Notifier
from bot.sources.catalog import Catalog
from bot.store import Store
from tests.conftest import TEST_DATA
from tests.fakes import FakeClock, FakeSleep, RecordingAdapter

COUNTRIES = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
NULL = (TEST_DATA / "netflix" / "all-weeks-countries_null_2023-12-17.tsv").read_bytes()
STUB = (TEST_DATA / "netflix" / "all-weeks-countries_moved-permanently_2023-06-01.tsv").read_bytes()
ADMIN = Context("test", "guild-1", "general", "admin", is_admin=True)


def until(week: str) -> bytes:
    """The countries file as Netflix would have served it after `week` was published."""
    lines = COUNTRIES.read_text(encoding="utf-8").split("\n")
    return "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split("\t")[2] <= week]).encode()


class NetflixPlayer:
    """Serves whatever body the test sets, with an ETag per version, and counts requests."""

    def __init__(self) -> None:
        self.body = until("2022-06-19")
        self.version = 1
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_get("/all-weeks-countries.tsv", self.serve)

    def publish(self, body: bytes) -> None:
        self.body = body
        self.version += 1

    async def serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        etag = f'"v{self.version}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=self.body, headers={"ETag": etag})


@pytest.fixture
async def world(tmp_path: Path, catalog: Catalog, clock: FakeClock):
    """An empty store, a Core, a recording adapter subscribed to US, and Netflix on 127.0.0.1."""
    store = await Store.open(tmp_path / "jobs.db")
    player = NetflixPlayer()
    server = TestServer(player.app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    metrics = Metrics()
    core = build_core(store, Config(), catalog=catalog, clock=clock, metrics=metrics)
    adapter = RecordingAdapter()
    notifier = Notifier(store, {"test": adapter}, clock, sleep=FakeSleep(), metrics=metrics)
    await core.run("config channel", {"channel": "alerts"}, ADMIN)
    await core.run("config regions add", {"regions": "US"}, ADMIN)
    # these tests are about refresh and delivery: a high bar leaves Backtrace (73) the only alert
    await core.run("config threshold", {"value": 70}, ADMIN)
    feed = Feed(str(server.make_url("/all-weeks-countries.tsv")), session)
    yield core, notifier, feed, adapter, player, metrics
    await session.close()
    await server.close()
    await store.close()


async def test_new_weeks_alert_once_and_broken_bodies_change_nothing(world, clock) -> None:
    core, notifier, feed, adapter, player, metrics = world

    async def refresh():
        return (await refresh_charts(core, notifier, [feed], clock, metrics))[0]

    # week N: three weeks of history arrive at once; only the newest week may alert
    first = await refresh()
    assert first.outcome == "changed"
    assert adapter.sent == []  # 2022-06-19 has no US surprise; older weeks never alert

    # week N+1: Backtrace enters at #8 and is delivered once
    player.publish(until("2022-06-26"))
    clock.advance(hours=1)
    second = await refresh()
    assert (second.outcome, second.queued) == ("changed", 1)
    assert [card.title for _ch, card, _k in adapter.sent] == [
        "⚡ Surprise in United States · Films: Backtrace (2018)"
    ]
    totals = await core.store.totals()

    # a `null` body: rejected, source marked failing, nothing changes
    player.publish(NULL)
    clock.advance(hours=1)
    third = await refresh()
    assert third.outcome == "rejected" and "literal 'null'" in third.detail
    health = await core.store.source_health(feed.name)
    assert health.failures == 1 and health.next_attempt_at == clock() + feed_backoff(0)
    assert await core.store.totals() == totals

    # during the backoff the feed is not even asked
    asked = player.requests
    assert (await refresh()).outcome == "waiting" and player.requests == asked

    # then the HTML "Moved Permanently" stub: rejected again, backoff doubles
    player.publish(STUB)
    clock.advance(minutes=6)
    fourth = await refresh()
    assert fourth.outcome == "rejected" and "HTML page" in fourth.detail
    health = await core.store.source_health(feed.name)
    assert health.failures == 2 and health.next_attempt_at == clock() + feed_backoff(1)
    assert await core.store.totals() == totals

    # Netflix fixes the file (same content as N+1): stored, no second alert, source healthy
    player.publish(until("2022-06-26"))
    clock.advance(minutes=11)
    fifth = await refresh()
    assert fifth.outcome == "unchanged" and fifth.queued == 0
    assert len(adapter.sent) == 1
    health = await core.store.source_health(feed.name)
    assert health.failures == 0 and health.etag == f'"v{player.version}"'

    # an unchanged file costs one conditional request and a 304
    clock.advance(hours=1)
    assert (await refresh()).outcome == "unchanged"
    assert metrics.value("trendbot_refreshes_total", source=feed.name, outcome="rejected") == 2
    assert metrics.value("trendbot_alerts_sent_total", platform="test") == 1


def test_feed_backoff_doubles_from_five_minutes_to_six_hours() -> None:
    assert [feed_backoff(n) for n in range(3)] == [
        timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)
    ]  # fmt: skip
    assert feed_backoff(40) == timedelta(hours=6)


async def test_a_local_path_feed_and_a_missing_file(tmp_path: Path, core: Core, clock) -> None:
    notifier = Notifier(core.store, {}, clock, sleep=FakeSleep())
    missing = Feed(str(tmp_path / "gone.tsv"), None)
    outcome = (await refresh_charts(core, notifier, [missing], clock, Metrics()))[0]
    assert outcome.outcome == "rejected" and "no such file" in outcome.detail


class Provider:
    name = "omdb"

    def __init__(self, fail_after: int) -> None:
        self.asked: list[str] = []
        self.fail_after = fail_after

    async def scores(self, title: Title) -> tuple[Score, ...]:
        if len(self.asked) >= self.fail_after:
            raise SourceUnavailable("Request limit reached!")
        self.asked.append(title.name)
        return (Score(Metric.IMDB, 50.0, "5.0/10", "omdb", date(2022, 7, 5)),)


async def test_fetch_scores_asks_each_title_once_and_stops_at_the_quota(
    loaded_store: Store, catalog: Catalog, clock: FakeClock
) -> None:
    provider = Provider(fail_after=3)
    core = build_core(loaded_store, Config(), catalog=catalog, clock=clock, reviews=[provider])
    assert await fetch_scores(core, limit=10) == 4  # three answers, then the quota: stop
    assert len(provider.asked) == 3
    provider.fail_after = 100
    await fetch_scores(core, limit=10)
    assert len(set(provider.asked)) == len(provider.asked)  # nothing asked twice in a week


async def test_weekly_digest_goes_to_opted_in_servers_once(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter()
    notifier = Notifier(core.store, {"test": adapter}, clock, sleep=FakeSleep())
    await core.run("config channel", {"channel": "alerts"}, ADMIN)
    await core.run("config regions add", {"regions": "US, GB"}, ADMIN)
    other = Context("test", "guild-2", "x", "admin", is_admin=True)
    await core.run("config channel", {"channel": "quiet"}, other)
    assert await weekly_digest(core, notifier) == 0  # nobody opted in
    await core.run("config digest", {"value": "on"}, ADMIN)
    await core.run("config threshold", {"value": "40"}, ADMIN)
    assert await weekly_digest(core, notifier) == 1
    assert await weekly_digest(core, notifier) == 0
    await notifier.drain()
    [(channel, card, _key)] = adapter.sent
    assert channel == "alerts" and card.title == "Weekly digest · United States, United Kingdom"
    assert "2022-08-28" in card.footer


async def test_prune_removes_only_old_finished_alerts(core: Core, clock: FakeClock) -> None:
    from bot.models import Alert, Card, ChartKey

    old = Alert(
        "test", "g", "c", ChartKey("US", "films"), date(2022, 1, 2), "a", "surprise", Card("a")
    )
    new = Alert(
        "test", "g", "c", ChartKey("US", "films"), date(2022, 7, 3), "b", "surprise", Card("b")
    )
    await core.store.enqueue([old], clock() - timedelta(days=200))
    await core.store.enqueue([new], clock())
    for pending in await core.store.due(clock()):
        await core.store.mark_sent_many([pending.id], clock())
    assert await prune_outbox(core.store, 90, clock) == 1
    assert await core.store.outbox_counts() == {"sent": 1}


def test_schedule_registers_every_job_coalesced_one_at_a_time(core: Core, clock) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone="UTC")
    config = load_config(None, {})
    notifier = Notifier(core.store, {}, clock)
    schedule(scheduler, core=core, notifier=notifier, feeds=[], config=config, clock=clock,
             metrics=Metrics())  # fmt: skip
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"refresh_charts", "deliver", "fetch_scores", "weekly_digest",
                         "prune_outbox"}  # fmt: skip
    for job in jobs.values():
        assert job.max_instances == 1 and job.coalesce and job.misfire_grace_time == 600
    assert (
        str(jobs["refresh_charts"].trigger)
        == "cron[month='*', day='*', day_of_week='*', hour='*', minute='7']"
    )
    assert jobs["refresh_charts"].next_run_time == clock()  # a refresh right at start-up


async def test_a_week_stored_before_a_crash_still_gets_its_alerts(world, clock) -> None:
    core, notifier, feed, adapter, player, metrics = world
    await refresh_charts(core, notifier, [feed], clock, metrics)  # week N, planned
    player.publish(until("2022-06-26"))
    # the process dies right after storing week N+1, before planning its alerts
    fetched = await feed.fetch(None, None)
    await core.ingest(fetched)
    assert adapter.sent == []
    # the restarted bot sees an unchanged file, but plans what was left unplanned
    clock.advance(hours=1)
    await refresh_charts(core, notifier, [feed], clock, metrics)
    assert [card.title for _ch, card, _k in adapter.sent] == [
        "⚡ Surprise in United States · Films: Backtrace (2018)"
    ]
    await refresh_charts(core, notifier, [feed], clock, metrics)
    assert len(adapter.sent) == 1  # planned once
