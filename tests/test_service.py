"""`Service`, the loop behind `trendbot run`, in-process: the real DiscordAdapter and SlackAdapter
against tests/fake_discord.py and tests/fake_slack.py, the real AsyncIOScheduler on short
intervals, Netflix played by a local server, and /healthz and /metrics on the service's own port.

The service runs on real timers; only the wall clock it reads (`OffsetClock`) is moved forward by
the test, to skip the feed's 5-minute and the outbox's 30-second backoffs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from discord.http import Route

from adapters.discord_adapter import DiscordAdapter
from adapters.slack_adapter import SlackAdapter
from bot.cli.compose import build_core
from bot.config import AlertsConfig, Config, DiscordConfig, NetflixConfig, SlackConfig, WebConfig
from bot.core import Core
from bot.jobs import Feed
from bot.metrics import Metrics
from bot.notify import Notifier
from bot.service import Service
from bot.sources.catalog import Catalog
from bot.store import Store
from tests.conftest import seeded_copy
from tests.e2e_support import (
    BACKTRACE,
    NULL,
    WEEK_N,
    WEEK_N1,
    NetflixPlayer,
    OffsetClock,
    Subscribed,
    eventually,
    metric,
    parse_metrics,
    subscribe_ahead,
    subscribe_in_discord,
    until,
)
from tests.fake_discord import FakeDiscord
from tests.fake_slack import ADMIN, BOT_TOKEN, SECRET, FakeSlack, command, form_body, signed_headers

TICK = 0.2  # seconds between scheduled refreshes and between scheduled deliveries
OPS_TOKEN = "ops-token-for-tests"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


@pytest.fixture(autouse=True)
def quiet_logs(caplog: pytest.LogCaptureFixture):
    """Broken downloads, 429s and 5xx are warnings at most: never an ERROR or a traceback."""
    caplog.set_level(logging.INFO)
    yield
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [r.getMessage() for r in loud]


@pytest.fixture
def service_db(tmp_path: Path, seeded_db: Path) -> Path:
    """The service's database: no charts yet, the bundled title records already loaded (the
    first start's load is tests/test_run_e2e.py's to show; here it only eats the timeouts)."""
    return seeded_copy(seeded_db, tmp_path / "service.db")


@dataclass
class Running:
    service: Service
    store: Store
    core: Core
    notifier: Notifier
    metrics: Metrics
    clock: OffsetClock
    discord: DiscordAdapter
    http: aiohttp.ClientSession
    response_url: str  # where the fake Slack takes slash-command answers

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.service.port}{path}"

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(self.url("/healthz/details"), headers=OPS) as response:
            return response.status, await response.json()

    async def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        async with self.http.get(self.url("/metrics"), headers=OPS) as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            return parse_metrics(await response.text())

    async def slack_command(self, text: str) -> str:
        """A signed /trendbot-config; the ack's body (the answer, on Bolt's fast path)."""
        body = form_body(command("/trendbot-config", text, user=ADMIN, channel="C0042",
                                 response_url=self.response_url))  # fmt: skip
        headers = signed_headers(body, int(time.time()), form=True)
        async with self.http.post(self.url("/slack/events"), data=body, headers=headers) as r:
            assert r.status == 200
            return await r.text()


@asynccontextmanager
async def running(
    database: Path,
    catalog: Catalog,
    player: NetflixPlayer,
    fake_discord: FakeDiscord,
    fake_slack: FakeSlack,
    *,
    oauth: bool = False,
    subscribe: dict[str, int] | None = None,
) -> AsyncIterator[tuple[Running, Subscribed]]:
    """Build the service as `trendbot run` does (adapters, notifier, feeds) over `database` and run
    it until the block ends; then stop it the way SIGTERM does and check it shut down cleanly."""
    if oauth:
        slack_config = SlackConfig(mode="http", api_base=fake_slack.api_base,
                                   signing_secret=SECRET, client_id="1111.2222",
                                   client_secret="client-secret")  # fmt: skip
    else:
        slack_config = SlackConfig(mode="http", api_base=fake_slack.api_base,
                                   signing_secret=SECRET, bot_token=BOT_TOKEN)  # fmt: skip
    config = Config(
        database=database,
        netflix=NetflixConfig(
            urls=(player.countries_url,), refresh_every_seconds=TICK, timeout_seconds=5
        ),
        # above every other surprise of the test weeks: Backtrace (73) is the one alert
        alerts=AlertsConfig(deliver_every_seconds=TICK, default_threshold=70),
        discord=DiscordConfig(
            token=fake_discord.token,
            api_base=fake_discord.api_base,
            gateway_url=fake_discord.gateway_url,
        ),
        slack=slack_config,
        web=WebConfig(host="127.0.0.1", port=0, ops_token=OPS_TOKEN),
    )
    clock = OffsetClock()
    metrics = Metrics()
    store = await Store.open(config.database)
    subscribed = await subscribe_ahead(store, fake_discord, now=clock(), **(subscribe or {}))
    session = aiohttp.ClientSession()
    http = aiohttp.ClientSession()
    try:
        core = build_core(store, config, session, catalog=catalog, clock=clock, metrics=metrics)
        discord = DiscordAdapter(core, config.discord, guild_ready_timeout=0.05)
        slack = SlackAdapter(core, config.slack)
        notifier = Notifier(store, {"discord": discord, "slack": slack}, clock, metrics=metrics)
        feeds = [Feed(url, session, config.netflix.timeout_seconds) for url in config.netflix.urls]
        service = Service(core, notifier, feeds, config, clock, metrics, [discord, slack],
                          [slack.web_app()])  # fmt: skip
        task = asyncio.create_task(service.run())
        run = Running(service, store, core, notifier, metrics, clock, discord, http,
                      fake_slack.url("/respond/hook"))  # fmt: skip
        try:
            await eventually(lambda: service.port or task.done(), what="the web server")
            assert not task.done(), task.exception()
            await eventually(lambda: _healthy(run), what="every adapter connected")
            yield run, subscribed
        finally:
            service.request_stop()
            await asyncio.wait_for(task, 15)
        assert not discord.connected
        assert Route.BASE != fake_discord.api_base  # discord.py's endpoints are put back
    finally:
        await http.close()
        await session.close()
        await store.close()


async def slack_answer(ack: str, fake: FakeSlack) -> dict[str, Any]:
    """A command's answer: the ack's body, or (answered later) the post to its response_url."""
    if '"blocks"' in ack:
        found: dict[str, Any] = json.loads(ack)
        return found
    return (await fake.next("respond")).body


async def _healthy(run: Running) -> bool:
    status, body = await run.healthz()
    return status == 200 and bool(body["adapters"] == {"discord": True, "slack": True})


async def source(run: Running) -> dict[str, Any]:
    [state] = (await run.healthz())[1]["sources"]
    return dict(state)


async def test_alerts_reach_each_subscribed_channel_once_and_broken_bodies_change_nothing(
    service_db: Path,
    catalog: Catalog,
    fake_discord: FakeDiscord,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guilds = [fake_discord.create_guild(f"Guild {n}") for n in range(2)]
    alerts = [int(g["channels"][1]["id"]) for g in guilds]
    async with (
        NetflixPlayer(until(WEEK_N)) as netflix,
        running(service_db, catalog, netflix, fake_discord, fake_slack) as (run, _),
    ):
        # week N is fetched at start-up; nobody is subscribed yet
        await eventually(lambda: _stored(run, WEEK_N), what="week N stored")
        status, health = await run.healthz()
        assert status == 200 and health["status"] == "ok" and health["database"] is True

        # admins subscribe through the chat platforms: two Discord guilds, one Slack workspace
        await subscribe_in_discord(fake_discord, guilds, alerts)
        acks = [await run.slack_command("channel <#C0042|alerts>"),
                await run.slack_command("regions add US")]  # fmt: skip
        answers = [await slack_answer(ack, fake_slack) for ack in acks]
        assert "<#C0042>" in str(answers[0]["blocks"])
        for guild in guilds:
            settings = await run.store.server("discord", str(guild["id"]))
            assert settings is not None and settings.regions == ("US",)
        slack_settings = await run.store.server("slack", "T0001")
        assert slack_settings is not None and slack_settings.channel_id == "C0042"

        # week N+1: Backtrace reaches every subscribed channel once, and no other channel
        netflix.publish(until(WEEK_N1))
        await fake_discord.wait_messages(2, timeout=10)
        await fake_slack.wait_posts(1, timeout=10)
        await eventually(lambda: _outbox(run, {"sent": 3}), what="the outbox marked sent")
        assert fake_discord.delivered() == {alerts[0]: 1, alerts[1]: 1}
        assert fake_slack.delivered() == {"C0042": 1}
        for channel in alerts:
            [message] = fake_discord.messages[channel]
            assert message["embeds"][0]["title"] == BACKTRACE
        [post] = fake_slack.history["C0042"]
        assert post["text"].startswith(BACKTRACE)
        totals = await run.store.totals()

        # a literal `null` body: rejected, the last good data kept, the source marked failing
        netflix.publish(NULL)
        state = await eventually(lambda: _failing(run, 1), what="the null body rejected")
        assert "literal 'null'" in state["last_error"] and state["ok"] is False
        status, health = await run.healthz()
        assert (status, health["status"]) == (200, "degraded")  # not a reason to restart
        assert await run.store.totals() == totals

        # five minutes later the URL answers 301 to an HTML page: rejected, backoff doubled
        netflix.move()
        run.clock.advance(minutes=6)
        state = await eventually(lambda: _failing(run, 2), what="the 301 stub rejected")
        assert "HTML page" in state["last_error"]
        assert await run.store.totals() == totals

        # Netflix fixes the file: healthy again, and Backtrace is not announced a second time
        netflix.publish(until(WEEK_N1))
        run.clock.advance(minutes=11)
        await eventually(lambda: _failing(run, 0), what="the source healthy again")
        asked = netflix.requests
        await eventually(lambda: netflix.requests >= asked + 2, what="a later refresh")
        await run.notifier.drain()
        assert await run.store.outbox_counts() == {"sent": 3}
        assert fake_discord.delivered() == {alerts[0]: 1, alerts[1]: 1}
        assert fake_slack.delivered() == {"C0042": 1}
        status, health = await run.healthz()
        assert (status, health["status"], health["outbox"]) == (200, "ok", {"sent": 3})

        samples = await run.samples()
        feed = netflix.countries_url
        assert metric(samples, "trendbot_refreshes_total", source=feed, outcome="rejected") == 2
        assert metric(samples, "trendbot_refreshes_total", source=feed, outcome="changed") == 2
        assert metric(samples, "trendbot_alerts_sent_total", platform="discord") == 2
        assert metric(samples, "trendbot_alerts_sent_total", platform="slack") == 1
        assert metric(samples, "trendbot_outbox_pending") == 0
    assert "stopped cleanly" in caplog.text


async def test_429_storms_and_5xx_bursts_deliver_everything_exactly_once(
    service_db: Path, catalog: Catalog, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    messages = r"/channels/\d+/messages"
    # Discord: two 503s (discord.py does not retry those: the outbox backs off 30 s), a storm of
    # 429s with Via (retried in place after retry_after), two 502s (discord.py retries after 1 s)
    fake_discord.fail("POST", messages, 503, times=2)
    fake_discord.fail("POST", messages, 429, times=8, retry_after=0.05)
    fake_discord.fail("POST", messages, 502, times=2)
    # Slack: two 500s (the outbox backs off 30 s), then a storm of 429s with Retry-After: 1
    fake_slack.fail("chat.postMessage", status=500, times=2)
    fake_slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=8)
    async with (
        NetflixPlayer(until(WEEK_N1)) as netflix,
        running(service_db, catalog, netflix, fake_discord, fake_slack, oauth=True,
                subscribe={"guilds": 6, "workspaces": 6}) as (run, subscribed),
    ):  # fmt: skip
        # the alert channels invited the bot, so after a 500 Slack can say whether it posted
        assert fake_slack.members is not None
        fake_slack.members |= subscribed.slack_channels
        # the first refresh queues Backtrace for 12 channels; all but the 5xx'd four go out
        await eventually(lambda: _outbox(run, {"sent": 8, "pending": 4}), timeout=15,
                         what="everything but the 5xx'd alerts delivered")  # fmt: skip
        assert sum(fake_discord.delivered().values()) == 4
        assert sum(fake_slack.delivered().values()) == 4
        statuses = [r.status for r in fake_discord.requests if r.path.endswith("/messages")]
        assert sorted(set(statuses)) == [200, 429, 502, 503]
        assert len(fake_slack.calls_to("chat.postMessage")) == 4 + 2 + 8

        # 30 s later by the service's clock the backed-off alerts are retried and delivered
        run.clock.advance(seconds=31)
        await eventually(lambda: _outbox(run, {"sent": 12}), what="the retries delivered")
        assert fake_discord.delivered() == dict.fromkeys(subscribed.discord_channels, 1)
        assert fake_slack.delivered() == dict.fromkeys(subscribed.slack_channels, 1)
        for team, channel, token in subscribed.slack:  # each workspace with its own bot token
            posts = [c for c in fake_slack.calls_to("chat.postMessage")
                     if c.body["channel"] == channel]  # fmt: skip
            assert {c.token for c in posts} == {token}, team

        samples = await run.samples()
        for platform in ("discord", "slack"):
            assert metric(samples, "trendbot_alerts_sent_total", platform=platform) == 6
            assert metric(samples, "trendbot_send_errors_total", platform=platform,
                          kind="transient") == 2  # fmt: skip
            assert metric(samples, "trendbot_alerts_failed_total", platform=platform) == 0
        assert metric(samples, "trendbot_send_errors_total", platform="slack",
                      kind="rate_limited") >= 1  # fmt: skip


async def _stored(run: Running, week: str) -> bool:
    latest = await run.store.latest_week()
    return latest is not None and latest.isoformat() == week


async def _outbox(run: Running, counts: dict[str, int]) -> bool:
    return await run.store.outbox_counts() == counts


async def _failing(run: Running, failures: int) -> dict[str, Any] | None:
    state = await source(run)
    done = state["failures"] == failures and (failures or state["last_success_at"])
    return state if done else None
