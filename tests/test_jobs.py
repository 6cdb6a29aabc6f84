"""Scheduled jobs, called directly: a local aiohttp server plays Netflix (week N, then N+1, then a
`null` body, then an HTML stub) and alerts reach a recording adapter exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.asks import Context
from bot.cli.compose import build_core
from bot.config import Config, load_config
from bot.core import Core
from bot.errors import SourceUnavailable
from bot.jobs import (
    Feed,
    feed_backoff,
    fetch_scores,
    prune_outbox,
    refresh_charts,
    weekly_digest,
)
from bot.metrics import Metrics
from bot.models import Metric, Score, Title
from bot.notify import Notifier
from bot.polling import PollSettings
from bot.schedule import schedule
from bot.sources.catalog import Catalog
from bot.store import Store
from tests.conftest import TEST_DATA, seeded_copy
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
    """Serves whatever body the test sets, with an ETag (and a Last-Modified, when set) per
    version; counts requests and 304s, and answers `failing` (status, headers) when set."""

    def __init__(self) -> None:
        self.body = until("2022-06-19")
        self.version = 1
        self.requests = 0
        self.not_modified = 0
        self.last_modified: str | None = None
        self.failing: tuple[int, dict[str, str]] | None = None
        self.app = web.Application()
        self.app.router.add_get("/all-weeks-countries.tsv", self.serve)

    def publish(self, body: bytes, at: datetime | None = None) -> None:
        self.body = body
        self.version += 1
        self.last_modified = format_datetime(at, usegmt=True) if at else None

    async def serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.failing is not None:
            return web.Response(status=self.failing[0], headers=self.failing[1])
        headers = {"ETag": f'"v{self.version}"'}
        if self.last_modified:
            headers["Last-Modified"] = self.last_modified
        if request.headers.get("If-None-Match") == headers["ETag"]:
            self.not_modified += 1
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.body, headers=headers)


@pytest.fixture
async def world(tmp_path: Path, catalog: Catalog, clock: FakeClock, seeded_db: Path):
    """A store with no charts yet (the bundled title records already in), a Core, a recording
    adapter subscribed to US, and Netflix on 127.0.0.1."""
    store = await Store.open(seeded_copy(seeded_db, tmp_path / "jobs.db"))
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


async def test_the_digest_lists_each_event_once_at_its_highest_score(core: Core) -> None:
    from bot.jobs import _surprises_for

    week = await core.store.latest_week()
    assert week is not None
    analysis = await core.analyst.week(week)
    regions = sorted({key.region for key in analysis})
    every = [e for entries in analysis.values() for e in entries if e.surprise.alertable]
    shared = {e.group for e in every if sum(o.group == e.group for o in every) > 1}
    assert shared  # the bundled week has titles surprising in several lists
    listed = _surprises_for(analysis, regions, ["films", "tv"])
    assert len(listed) == len({e.group for e in every})
    assert len({e.group for e in listed}) == len(listed)
    best = {g: max(e.surprise.score for e in every if e.group == g) for g in shared}
    assert all(e.surprise.score == best[e.group] for e in listed if e.group in shared)
    assert [e.surprise.score for e in listed] == sorted(
        (e.surprise.score for e in listed), reverse=True
    )


async def test_prune_removes_only_old_finished_alerts(core: Core, clock: FakeClock) -> None:
    from bot.cards import Card
    from bot.models import Alert, ChartKey

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
    # no title sources configured and no TMDB key: no title refresh, no online lookups
    assert set(jobs) == {"refresh_charts", "deliver", "fetch_scores", "weekly_digest",
                         "prune_outbox", "reanalyse_stale"}  # fmt: skip
    for job in jobs.values():
        assert job.max_instances == 1 and job.coalesce and job.misfire_grace_time == 600
    # a look at each feed's plan every minute; the plan (bot/polling.py) decides when to fetch
    assert str(jobs["refresh_charts"].trigger) == "interval[0:01:00]"
    assert jobs["refresh_charts"].args[-2:] == (config.netflix.polling, timedelta(minutes=1))
    # a look right at start-up, by the scheduler's own (wall) clock
    assert abs(jobs["refresh_charts"].next_run_time - datetime.now(UTC)) < timedelta(minutes=1)


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


async def test_polling_around_the_publication_finds_the_new_week_within_five_minutes(
    world, clock
) -> None:
    core, notifier, feed, adapter, player, metrics = world
    rule = PollSettings()  # 5 min in the window, hourly otherwise
    # week N was published Tuesday 21 June at 19:00; trendbot starts a week later at noon
    player.publish(until("2022-06-19"), at=datetime(2022, 6, 21, 19, tzinfo=UTC))
    clock.now = datetime(2022, 6, 28, 12, tzinfo=UTC)
    polled: list[tuple[str, str]] = []

    async def tick() -> str:
        [outcome] = await refresh_charts(core, notifier, [feed], clock, metrics, rule)
        if outcome.outcome != "idle":
            polled.append((f"{clock():%H:%M}", outcome.outcome))
        return outcome.outcome

    async def minutes(n: int) -> None:  # the scheduler's one-minute look at the plan
        for _ in range(n):
            await tick()
            clock.advance(minutes=1)

    await minutes(18 * 60 - 12 * 60 + 62)  # from 12:00 to 19:01
    history = await core.store.publications(feed.name)
    assert [(p.week, p.published_at) for p in history] == [
        (date(2022, 6, 19), datetime(2022, 6, 21, 19, tzinfo=UTC))
    ]
    # hourly until the learned window (18:00–20:00) opens, then every 5 minutes; all 304s after
    # the first download
    assert polled[:7] == [("12:00", "changed")] + [(f"{h}:00", "unchanged") for h in range(13, 19)]
    assert [when for when, _ in polled[6:]] == ["18:00", "18:05", "18:10", "18:15", "18:20",
                                                 "18:25", "18:30", "18:35", "18:40", "18:45",
                                                 "18:50", "18:55", "19:00"]  # fmt: skip
    assert player.not_modified == len(polled) - 1 and adapter.sent == []

    # Netflix publishes week N+1 at 19:01: found, stored and alerted at 19:05
    player.publish(until("2022-06-26"), at=clock())
    published = clock()
    while not adapter.sent:
        await tick()
        if not adapter.sent:
            clock.advance(minutes=1)
    found = await core.store.publications(feed.name, 1)
    assert found[0].week == date(2022, 6, 26) and found[0].published_at == published
    # queued and delivered by the poll at 19:05: four minutes after publication
    assert polled[-1] == ("19:05", "changed") and clock() - published <= rule.fast
    assert [card.title for _ch, card, _k in adapter.sent] == [
        "⚡ Surprise in United States · Films: Backtrace (2018)"
    ]

    # then hourly again: the next look at the file is at 20:05
    asked = player.requests
    clock.advance(minutes=1)
    await minutes(59)  # 19:06 … 20:04
    assert player.requests == asked
    await tick()
    assert player.requests == asked + 1 and polled[-1] == ("20:05", "unchanged")


async def test_a_failing_feed_backs_off_inside_the_window_too(world, clock) -> None:
    core, notifier, feed, adapter, player, metrics = world
    rule = PollSettings()
    player.publish(until("2022-06-19"), at=datetime(2022, 6, 21, 19, tzinfo=UTC))
    clock.now = datetime(2022, 6, 28, 18, 30, tzinfo=UTC)  # inside the learned window
    refresh = lambda: refresh_charts(core, notifier, [feed], clock, metrics, rule)  # noqa: E731
    assert (await refresh())[0].outcome == "changed"
    # Netflix answers 503 asking for 15 minutes: the plan's 5 minutes give way to that
    player.failing = (503, {"Retry-After": "900"})
    clock.advance(minutes=5)
    assert (await refresh())[0].outcome == "unavailable"
    asked = player.requests
    for _ in range(14):
        clock.advance(minutes=1)
        assert (await refresh())[0].outcome in ("idle", "waiting")
    assert player.requests == asked
    clock.advance(minutes=1)
    player.failing = (503, {})
    assert (await refresh())[0].outcome == "unavailable"  # 15 minutes later
    # the doubling backoff (10 minutes after a second failure) is longer than the fast pace
    player.failing = None
    clock.advance(minutes=5)
    assert (await refresh())[0].outcome == "waiting"
    clock.advance(minutes=5)
    assert (await refresh())[0].outcome == "unchanged"
    assert (await core.store.source_health(feed.name)).failures == 0
