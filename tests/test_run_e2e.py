"""`trendbot run` as a real subprocess (`python -m bot run --config …`) against the fake Discord and
fake Slack servers and a local Netflix, all on 127.0.0.1 in the test process.

Secrets come only from a minimal environment (fake tokens); the config points the platforms' API
bases and the Netflix URLs at the fakes and asks for short refresh and delivery intervals. The
child's output goes to files in tmp_path; every wait is bounded and every child is killed in a
`finally`. Nothing here sleeps to wait: the fakes' conditions are awaited, and /healthz is polled
(another process has no event to await).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.models import PendingAlert
from bot.sources.netflix import parse_top10
from bot.store import Store
from tests.conftest import seeded_copy
from tests.e2e_support import (
    BACKTRACE,
    NULL,
    WEEK_N,
    WEEK_N1,
    NetflixPlayer,
    OffsetClock,
    eventually,
    free_port,
    metric,
    parse_metrics,
    subscribe_ahead,
    subscribe_in_discord,
    until,
)
from tests.fake_discord import FakeDiscord, Limit, RateLimits
from tests.fake_slack import ADMIN, BOT_TOKEN, SECRET, FakeSlack, command, form_body, signed_headers
from tests.test_service import slack_answer

ROOT = Path(__file__).resolve().parents[1]
STARTUP = 30.0  # seconds a child may take to import, connect and pass /healthz
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
OPS_TOKEN = "ops-token-for-e2e"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


@dataclass
class Trendbot:
    """Starts `python -m bot run` with one config and database, as often as a test asks."""

    tmp: Path
    config: Path
    env: dict[str, str]
    port: int
    http: aiohttp.ClientSession
    children: list[asyncio.subprocess.Process] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.tmp / "trendbot.db"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self, name: str) -> asyncio.subprocess.Process:
        """Start a child (output in <name>.out / <name>.err); return once /healthz says every
        adapter is connected."""
        with (
            open(self.tmp / f"{name}.out", "wb") as out,
            open(self.tmp / f"{name}.err", "wb") as err,
        ):
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                cwd=self.tmp, env=self.env, stdout=out, stderr=err,
            )  # fmt: skip
        self.children.append(child)

        async def ready() -> bool:
            if child.returncode is not None:
                raise AssertionError(f"{name} exited {child.returncode}:\n{self.log(name)}")
            found = await self.healthz()
            return found is not None and found[0] == 200

        await eventually(ready, timeout=STARTUP, what=f"{name} to pass /healthz")
        return child

    async def healthz(self) -> tuple[int, dict[str, Any]] | None:
        try:
            async with self.http.get(self.url("/healthz/details"), headers=OPS) as response:
                return response.status, await response.json()
        except aiohttp.ClientConnectionError:
            return None  # not listening yet

    async def health(self) -> dict[str, Any]:
        found = await self.healthz()
        assert found is not None
        return found[1]

    async def samples(self) -> Samples:
        async with self.http.get(self.url("/metrics"), headers=OPS) as response:
            assert response.status == 200 and response.content_type == "text/plain"
            return parse_metrics(await response.text())

    async def health_of(self, source: str) -> bool:
        """Whether `source` has been fetched and stored successfully."""
        states = (await self.health())["sources"]
        return any(s["name"] == source and s["ok"] for s in states)

    async def outbox(self, counts: dict[str, int]) -> bool:
        return bool((await self.health())["outbox"] == counts)

    async def stop(self, child: asyncio.subprocess.Process, name: str) -> str:
        """SIGTERM; the child must exit 0 promptly, say so, and have logged no error."""
        child.send_signal(signal.SIGTERM)
        return await self.stopped(child, name)

    async def stopped(self, child: asyncio.subprocess.Process, name: str) -> str:
        """The child, sent SIGTERM, exits 0 promptly, says so, and has logged no error."""
        code = await asyncio.wait_for(child.wait(), 20)
        log = self.log(name)
        assert code == 0, log
        assert "stopped cleanly" in log
        assert "Traceback" not in log and " ERROR " not in log and " CRITICAL " not in log, log
        return log

    async def slack_command(self, text: str, response_url: str) -> str:
        """A signed /trendbot-config slash command from a workspace admin, as Slack sends it;
        the ack's body comes back (the answer, on Bolt's fast path)."""
        body = form_body(command("/trendbot-config", text, user=ADMIN, channel="C0042",
                                 response_url=response_url))  # fmt: skip
        headers = signed_headers(body, int(datetime.now(UTC).timestamp()), form=True)
        async with self.http.post(self.url("/slack/events"), data=body, headers=headers) as r:
            assert r.status == 200
            return await r.text()

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.err").read_text(encoding="utf-8", errors="replace")

    def output(self, name: str) -> str:
        return (self.tmp / f"{name}.out").read_text(encoding="utf-8", errors="replace")


@asynccontextmanager
async def trendbot(
    tmp_path: Path,
    discord: FakeDiscord,
    slack: FakeSlack,
    urls: Sequence[str],
    *,
    oauth: bool = False,
    polling: str = "refresh_every_seconds = 0.3\n",
    clock: OffsetClock | None = None,
) -> AsyncIterator[Trendbot]:
    """A config for the fakes and a minimal environment; `polling` is the [netflix] polling
    settings (default: a fixed 0.3 s interval), `clock` the child's clock (by its offset)."""
    port = free_port()
    config = tmp_path / "trendbot.toml"
    q = json.dumps  # a JSON string is a valid TOML basic string
    config.write_text(
        f"database = {q(str(tmp_path / 'trendbot.db'))}\n"
        'log_level = "INFO"\n\n'
        "[netflix]\n"
        f"urls = [{', '.join(q(u) for u in urls)}]\n"
        f"{polling}"
        "timeout_seconds = 5\n\n"
        "[alerts]\n"
        "deliver_every_seconds = 0.3\n"
        # above every other surprise of the test weeks: Backtrace (73) is the one alert
        "default_threshold = 70\n\n"
        "[discord]\n"
        f"api_base = {q(discord.api_base)}\n"
        f"gateway_url = {q(discord.gateway_url)}\n\n"
        "[slack]\n"
        'mode = "http"\n'
        f"api_base = {q(slack.api_base)}\n\n"
        "[web]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n",
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "HOME": str(tmp_path),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "DISCORD_TOKEN": discord.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "TRENDBOT_OPS_TOKEN": OPS_TOKEN,
    }
    if clock is not None:
        env["TRENDBOT_CLOCK_OFFSET"] = repr(clock.offset.total_seconds())
    if oauth:  # many workspaces, each with its own bot token from the installation
        env |= {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-secret"}
    else:
        env["SLACK_BOT_TOKEN"] = BOT_TOKEN
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        bot = Trendbot(tmp_path, config, env, port, http)
        try:
            yield bot
        finally:
            for child in bot.children:
                if child.returncode is None:
                    child.kill()
                    await asyncio.wait_for(child.wait(), 10)


async def database_holds_exactly(db: Path, body: bytes, tmp_path: Path) -> None:
    """The service's database holds what one good file holds: same weeks, lists and rows."""
    reference = await Store.open(tmp_path / "reference.db")
    try:
        when = datetime(2022, 7, 1, tzinfo=UTC)
        await reference.save_charts(parse_top10(body, "reference"), "reference", when)
        expected = await reference.totals()
    finally:
        await reference.close()
    store = await Store.open(db)
    try:
        assert await store.totals() == expected
        assert await store.latest_week() == date.fromisoformat(WEEK_N1)
    finally:
        await store.close()


async def test_run_alerts_each_channel_once_rejects_broken_files_and_exits_0_on_sigterm(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    guilds = [fake_discord.create_guild(f"Guild {n}") for n in range(2)]
    alerts = [int(g["channels"][1]["id"]) for g in guilds]
    async with (
        NetflixPlayer(until(WEEK_N)) as netflix,
        trendbot(tmp_path, fake_discord, fake_slack,
                 [netflix.countries_url, netflix.global_url]) as bot,
    ):  # fmt: skip
        child = await bot.start("run")

        # at start-up week N is stored; the global file's URL has moved (301 → HTML): failing
        async def sources_tried() -> list[dict[str, Any]] | None:
            countries, global_ = (await bot.health())["sources"]
            done = countries["last_success_at"] and global_["failures"] == 1
            return [countries, global_] if done else None

        countries, global_ = await eventually(sources_tried, what="both sources tried")
        assert countries["ok"] is True and countries["name"] == netflix.countries_url
        assert "HTML page" in global_["last_error"] and global_["ok"] is False

        # admins subscribe in chat: two Discord guilds (slash commands over the gateway) and a
        # Slack workspace (signed slash commands to the service's port)
        await subscribe_in_discord(fake_discord, guilds, alerts)
        respond = fake_slack.url("/respond/hook")
        acks = [await bot.slack_command("channel <#C0042|alerts>", respond),
                await bot.slack_command("regions add US", respond)]  # fmt: skip
        answers = [await slack_answer(ack, fake_slack) for ack in acks]
        assert "<#C0042>" in str(answers[0]["blocks"])
        assert "United States" in str(answers[1]["blocks"])

        # week N+1: the surprise reaches each subscribed channel once, and no other channel
        netflix.publish(until(WEEK_N1))
        await fake_discord.wait_messages(2, timeout=15)
        await fake_slack.wait_posts(1, timeout=15)
        await eventually(lambda: bot.outbox({"sent": 3}), what="three alerts marked sent")
        assert fake_discord.delivered() == {alerts[0]: 1, alerts[1]: 1}
        assert fake_slack.delivered() == {"C0042": 1}
        assert {m["embeds"][0]["title"] for c in alerts for m in fake_discord.messages[c]} == {
            BACKTRACE
        }
        assert fake_slack.history["C0042"][0]["text"].startswith(BACKTRACE)

        # a literal `null` body: rejected; the source is marked failing; no alert, no data change
        netflix.publish(NULL)

        async def null_rejected() -> dict[str, Any] | None:
            state = (await bot.health())["sources"][0]
            return state if state["failures"] == 1 else None

        state = await eventually(null_rejected, what="the null body rejected")
        assert "literal 'null'" in state["last_error"] and state["next_attempt_at"]
        status, health = await bot.healthz() or (0, {})
        assert status == 200  # a failing chart source is reported, not a reason to restart
        assert health["status"] == "degraded" and health["database"] is True
        assert health["adapters"] == {"discord": True, "slack": True}
        assert health["outbox"] == {"sent": 3}

        samples = await bot.samples()
        countries_feed, global_feed = netflix.countries_url, netflix.global_url
        assert metric(samples, "trendbot_refreshes_total", source=countries_feed,
                      outcome="changed") == 2  # fmt: skip
        assert metric(samples, "trendbot_refreshes_total", source=countries_feed,
                      outcome="rejected") == 1  # fmt: skip
        assert metric(samples, "trendbot_refreshes_total", source=global_feed,
                      outcome="rejected") == 1  # fmt: skip
        assert (
            metric(samples, "trendbot_refreshes_total", source=global_feed, outcome="waiting") >= 1
        )  # backing off, not hammering the moved URL
        assert metric(samples, "trendbot_alerts_sent_total", platform="discord") == 2
        assert metric(samples, "trendbot_alerts_sent_total", platform="slack") == 1
        assert metric(samples, "trendbot_alerts_queued_total", platform="discord") == 2

        log = await bot.stop(child, "run")
        assert "literal 'null'" in log and "kept the last good data" in log
        plan = bot.output("run")  # what `trendbot run` said it would start
        assert "Discord: on (shards as Discord recommends" in plan
        assert "Slack: on (HTTP mode, one workspace" in plan
    assert fake_discord.delivered() == {alerts[0]: 1, alerts[1]: 1}
    assert fake_slack.delivered() == {"C0042": 1}
    await database_holds_exactly(bot.db, until(WEEK_N1), tmp_path)


FAST = 2.0  # this test's fast pace in seconds (5 minutes in production)
WAY = 0.5  # seconds from the scheduler's look to the request reaching Netflix, at most


async def test_a_new_week_is_alerted_within_the_fast_pace_after_netflix_publishes_it(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack, seeded_db: Path
) -> None:
    # the service lives through Tuesday 28 June 2022 from 18:30 UTC (its clock is offset, and so
    # is this test's): week N came out on Tuesday 21 June at 19:00, so the window it learns from
    # that is 18:00–20:00 and week N+1 is awaited at 19:00
    clock = OffsetClock()
    clock.offset = datetime(2022, 6, 28, 18, 30, tzinfo=UTC) - datetime.now(UTC)
    # a database that has served before (the bundled title records loaded): the first start's
    # load is the first test's to show, here it would only delay the polls
    store = await Store.open(seeded_copy(seeded_db, tmp_path / "trendbot.db"))
    try:
        subscribed = await subscribe_ahead(store, fake_discord, guilds=1, now=clock())
    finally:
        await store.close()
    [channel] = subscribed.discord_channels
    tick = FAST / 5  # the refresh job's look at the plan (bot/jobs.py poll_tick)
    week_n_out = datetime(2022, 6, 21, 19, tzinfo=UTC)
    async with (
        NetflixPlayer(until(WEEK_N), at=week_n_out, clock=clock) as netflix,
        trendbot(tmp_path, fake_discord, fake_slack, [netflix.countries_url], clock=clock,
                 polling=f"fast_poll_seconds = {FAST}\nslow_poll_seconds = 3600\n") as bot,
    ):  # fmt: skip
        child = await bot.start("run")

        async def awaiting() -> dict[str, Any] | None:
            [source] = (await bot.health())["sources"]
            return source["publication"] if source["ok"] else None

        plan = await eventually(awaiting, what="week N stored and the window learned")
        assert plan["week"] == "2022-06-26" and plan["mode"] == "window"
        assert (
            plan["expected_at"] == "2022-06-28T19:00:00+00:00" and plan["learned_from_weeks"] == 1
        )
        assert plan["poll_every_seconds"] == FAST
        # conditional GETs at the fast pace, each answered 304
        await eventually(
            lambda: len(netflix.answers) >= 4, timeout=40, what="three polls after the first"
        )
        statuses = [status for _at, status in netflix.answers]
        assert statuses[0] == 200 and set(statuses[1:]) == {304}
        times = [at for at, _status in netflix.answers]
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= timedelta(
            seconds=FAST - tick
        )  # a look at the plan polls what falls due before the next look

        # Netflix publishes week N+1 now
        published = clock()
        polls_before = len(netflix.answers)
        netflix.publish(until(WEEK_N1), at=published)
        await fake_discord.wait_messages(1, timeout=15)
        fetched = next(at for at, status in netflix.answers[polls_before:] if status == 200)
        queued = first_queued(bot.db)
        # the poll that found it came within the fast pace (and the request's own way) ...
        assert fetched - published <= timedelta(seconds=FAST + WAY), (fetched, published)
        # ... and queued the alert at once: ingest, analysis and outbox of a small file
        lag = queued - published
        assert lag <= timedelta(seconds=FAST + WAY + 3), f"publish-to-first-alert {lag}"
        print(f"publish-to-first-alert: polled after {fetched - published}, queued after {lag}")
        assert fake_discord.delivered() == {channel: 1}

        # the week is in: the next poll is an hour away, the next week is awaited
        async def slowed_down() -> dict[str, Any] | None:
            [source] = (await bot.health())["sources"]
            return source["publication"] if source["publication"]["mode"] == "published" else None

        plan = await eventually(slowed_down, what="the slow pace")
        assert plan["week"] == "2022-07-03" and plan["learned_from_weeks"] == 2
        assert plan["poll_every_seconds"] == 3600
        log = await bot.stop(child, "run")
        assert "week 2022-06-26 first seen" in log
        plan_text = "every 2 s around Netflix's weekly publication, every 3600 s otherwise"
        assert plan_text in bot.output("run")  # what `trendbot run` said it would do


def first_queued(db: Path) -> datetime:
    """When the service queued its first alert (by its own clock), read from its database."""
    with sqlite3.connect(db) as connection:
        [(created,)] = connection.execute("SELECT MIN(created_at) FROM outbox").fetchall()
    return datetime.fromisoformat(created)


async def test_kill_9_mid_delivery_then_restart_delivers_every_alert_exactly_once(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    guilds, workspaces = 150, 100
    total = guilds + workspaces
    # subscribed before any data: no baseline. A fresh database, not seeded_db: with the title
    # load skipped, Discord was once seen delivering all 150 before Slack reached 25 (the kill
    # must land mid-way through both platforms' deliveries)
    store = await Store.open(tmp_path / "trendbot.db")
    try:
        subscribed = await subscribe_ahead(
            store, fake_discord, guilds=guilds, workspaces=workspaces, now=datetime.now(UTC)
        )
    finally:
        await store.close()
    # the alert channels invited the bot: Slack can say what reached them (conversations.history)
    assert fake_slack.members is not None
    fake_slack.members |= subscribed.slack_channels
    # answers come back slowly once the message exists: a kill leaves posts the bot never saw
    fake_discord.message_delay = 0.25
    # Slack is paced per workspace (100 at once): slower answers keep its sends in flight too
    fake_slack.delays["chat.postMessage"] = 1.5

    def delivered() -> tuple[int, int]:
        return sum(fake_discord.delivered().values()), sum(fake_slack.delivered().values())

    async with (
        NetflixPlayer(until(WEEK_N1)) as netflix,
        trendbot(tmp_path, fake_discord, fake_slack, [netflix.countries_url], oauth=True) as bot,
    ):
        # 1. the first run queues Backtrace for 250 channels and is killed -9 mid-delivery
        first = await bot.start("first")
        await fake_discord.wait_messages(60, timeout=30)
        await fake_slack.wait_posts(25, timeout=30)
        first.kill()
        assert await asyncio.wait_for(first.wait(), 10) == -signal.SIGKILL
        killed_at = delivered()
        assert 60 <= killed_at[0] < guilds and 25 <= killed_at[1] < workspaces

        # the kill cut sends off: claimed in the outbox, already in the channel, never marked
        pending = await pending_alerts(bot.db)
        cut_off = [a.alert for a in pending if a.maybe_sent]
        discord_cut = [a for a in cut_off if a.platform == "discord"
                       and fake_discord.messages.get(int(a.channel_id))]  # fmt: skip
        slack_cut = [a for a in cut_off
                     if a.platform == "slack" and fake_slack.history.get(a.channel_id)]  # fmt: skip
        assert discord_cut and slack_cut, cut_off
        assert len(pending) == total - sum(killed_at) + len(discord_cut) + len(slack_cut)

        # 2. the second run resolves the cut-off sends, delivers more, and gets SIGTERM (a
        # deploy): in-flight sends finish and are recorded, nothing is left half-sent
        second = await bot.start("second")
        await fake_discord.wait_messages(killed_at[0] + 30, timeout=30)
        await fake_slack.wait_posts(killed_at[1] + 15, timeout=30)
        await bot.stop(second, "second")
        assert "had already gone out; not sending it again" in bot.log("second")
        stopped_at = delivered()
        assert sum(stopped_at) < total  # stopped mid-delivery: the third run has work left
        pending = await pending_alerts(bot.db)
        assert not [a for a in pending if a.maybe_sent]
        assert len(pending) == total - sum(stopped_at)

        # 3. the third run delivers the rest
        third = await bot.start("third")
        await fake_discord.wait_messages(guilds, timeout=30)
        await fake_slack.wait_posts(workspaces, timeout=30)
        await eventually(lambda: bot.outbox({"sent": total}), what="every alert marked sent")

        # every subscribed channel holds its alert exactly once: none lost, none doubled
        assert fake_discord.delivered() == dict.fromkeys(subscribed.discord_channels, 1)
        assert fake_slack.delivered() == dict.fromkeys(subscribed.slack_channels, 1)
        # Discord: the cut-off sends were found among the channels' recent messages (nonces
        # expire after a few minutes, so a late retry could not rely on them): none re-posted
        for alert in discord_cut:
            channel = int(alert.channel_id)
            assert len(fake_discord.sent_to(channel)) == 1
            assert any(r.method == "GET" and r.path == f"/channels/{channel}/messages"
                       for r in fake_discord.requests)  # fmt: skip
        # Slack: the cut-off ones were looked up in the channel's history instead of reposted
        assert len(fake_slack.calls_to("chat.postMessage")) == workspaces
        looked_up = {c.body["channel"] for c in fake_slack.calls_to("conversations.history")}
        assert {a.channel_id for a in slack_cut} <= looked_up
        samples = await bot.samples()  # the third run posted exactly what was left
        for platform, count, before in zip(("discord", "slack"), (guilds, workspaces), stopped_at,
                                           strict=True):  # fmt: skip
            sent = metric(samples, "trendbot_alerts_sent_total", platform=platform)
            assert sent == count - before
        await bot.stop(third, "third")


async def pending_alerts(db: Path) -> list[PendingAlert]:
    """The outbox rows not yet marked sent, read while no trendbot runs."""
    store = await Store.open(db)
    try:
        return await store.due(datetime(2100, 1, 1, tzinfo=UTC), limit=1000)
    finally:
        await store.close()


async def test_429_storms_and_5xx_bursts_lose_nothing_and_double_nothing(
    tmp_path: Path, fake_slack: FakeSlack, seeded_db: Path
) -> None:
    guilds, workspaces = 60, 30
    # Discord allows this bot 25 requests/s where trendbot paces itself at 45/s: global 429s
    async with FakeDiscord(rate_limits=RateLimits(global_limit=Limit(25, 1.0))) as fake_discord:
        store = await Store.open(seeded_copy(seeded_db, tmp_path / "trendbot.db"))
        try:
            subscribed = await subscribe_ahead(
                store, fake_discord, guilds=guilds, workspaces=workspaces, now=datetime.now(UTC)
            )
        finally:
            await store.close()
        # on top of that a burst of 500s, which discord.py retries itself after a second, then a
        # storm of per-route 429s (retried in place after retry_after)
        messages = r"/channels/\d+/messages"
        fake_discord.fail("POST", messages, 500, times=5)
        fake_discord.fail("POST", messages, 429, times=20, retry_after=0.05)
        # Slack answers a storm of 429s (Retry-After: 1, the smallest it sends)
        fake_slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=40)
        async with (
            NetflixPlayer(until(WEEK_N1)) as netflix,
            trendbot(tmp_path, fake_discord, fake_slack, [netflix.countries_url],
                     oauth=True) as bot,
        ):  # fmt: skip
            child = await bot.start("run")
            await fake_discord.wait_messages(guilds, timeout=30)
            await fake_slack.wait_posts(workspaces, timeout=30)
            await eventually(lambda: bot.outbox({"sent": guilds + workspaces}),
                             what="every alert marked sent")  # fmt: skip
            assert fake_discord.delivered() == dict.fromkeys(subscribed.discord_channels, 1)
            assert fake_slack.delivered() == dict.fromkeys(subscribed.slack_channels, 1)

            sends = [r for r in fake_discord.requests if r.path.endswith("/messages")]
            assert [r.status for r in sends].count(500) == 5
            assert [r.status for r in sends].count(429) >= 20
            assert "Global rate limit has been hit" in bot.log("run")  # discord.py saw it
            assert len(fake_slack.calls_to("chat.postMessage")) == workspaces + 40

            samples = await bot.samples()
            for platform, count in (("discord", guilds), ("slack", workspaces)):
                assert metric(samples, "trendbot_alerts_sent_total", platform=platform) == count
                assert metric(samples, "trendbot_alerts_failed_total", platform=platform) == 0
            health = await bot.health()
            assert health["status"] == "ok" and health["outbox"] == {"sent": guilds + workspaces}
            log = await bot.stop(child, "run")
            assert "rate limited" in log  # the storms were seen, and only warned about


class SlowNetflix:
    """The countries file served only when the test says: `asked` is set once a request arrives,
    `sent` once the whole body went out; until `release` the answer is half the file."""

    PATH = "/tudum/top10/data/all-weeks-countries.tsv"

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.asked, self.release, self.sent = asyncio.Event(), asyncio.Event(), asyncio.Event()
        app = web.Application()
        app.router.add_get(self.PATH, self._serve)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url(self.PATH))

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.asked.set()
        response = web.StreamResponse(headers={"Content-Length": str(len(self.body))})
        await response.prepare(request)
        half = len(self.body) // 2
        await response.write(self.body[:half])
        await self.release.wait()
        await response.write(self.body[half:])
        await response.write_eof()
        self.sent.set()
        return response


@asynccontextmanager
async def slow_netflix(body: bytes) -> AsyncIterator[SlowNetflix]:
    netflix = SlowNetflix(body)
    await netflix.server.start_server()
    try:
        yield netflix
    finally:
        netflix.release.set()
        await netflix.server.close()


async def test_sigterm_during_a_download_stops_quietly(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    async with (
        slow_netflix(until(WEEK_N1)) as netflix,
        trendbot(tmp_path, fake_discord, fake_slack, [netflix.url]) as bot,
    ):
        child = await bot.start("run")
        await asyncio.wait_for(netflix.asked.wait(), STARTUP)  # half the file is on its way
        log = await bot.stop(child, "run")  # exit 0, no ERROR, no CancelledError traceback
    assert "refresh_charts stopped by shutdown" in log


async def test_sigterm_during_an_ingest_stops_quietly_and_stores_nothing_half(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack, seeded_db: Path
) -> None:
    body = until(WEEK_N1)
    seeded_copy(seeded_db, tmp_path / "trendbot.db")  # no charts, the title records loaded
    async with (
        slow_netflix(body) as netflix,
        trendbot(tmp_path, fake_discord, fake_slack, [netflix.url]) as bot,
    ):
        child = await bot.start("first")
        await asyncio.wait_for(netflix.asked.wait(), STARTUP)
        # another writer holds the database: the download completes, the ingest cannot
        blocker = sqlite3.connect(bot.db, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            netflix.release.set()
            await asyncio.wait_for(netflix.sent.wait(), 10)
            child.send_signal(signal.SIGTERM)
            await eventually(lambda: "stopping: no new work" in bot.log("first"), what="stopping")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        log = await bot.stopped(child, "first")
        assert "refresh_charts stopped by shutdown" in log
        store = await Store.open(bot.db)
        try:
            assert (await store.totals()).charts == 0  # rolled back whole
            assert (await store.source_health(netflix.url)).last_success_at is None
        finally:
            await store.close()

        # the next start downloads and stores the file whole
        second = await bot.start("second")
        await eventually(lambda: bot.health_of(netflix.url), what="the file stored")
        await bot.stop(second, "second")
    await database_holds_exactly(bot.db, body, tmp_path)
