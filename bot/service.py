"""The long-running service behind `trendbot run`: adapters, scheduler and web server, in one loop.

Platform-neutral: __main__ builds the adapters and passes them in as Runners. SIGTERM/SIGINT stop
new work (scheduler paused, no new sends), let in-flight sends finish, then close everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from aiohttp import web

from bot.config import Config
from bot.core import Core
from bot.jobs import Feed
from bot.metrics import Metrics
from bot.notify import Notifier
from bot.ops import ops_routes
from bot.protocols import ChatAdapter
from bot.schedule import Running, schedule
from bot.titles.online import TitleFinder
from bot.titles.update import TitleUpdater

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 20.0  # seconds to let in-flight sends finish after SIGTERM


class Runner(ChatAdapter, Protocol):
    """A chat adapter as the service sees it: it sends, starts, reports its connection, closes."""

    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Service:
    core: Core
    notifier: Notifier
    feeds: Sequence[Feed]
    config: Config
    clock: Callable[[], datetime]
    metrics: Metrics
    runners: Sequence[Runner] = ()
    apps: Sequence[web.Application] = ()  # more routes on the same port (Slack HTTP mode)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    port: int | None = None  # the bound port, once serving (the config may say 0)
    role: str = "all"  # all | gateway | web | worker (jobs and delivery: all and worker)
    titles: TitleUpdater | None = None  # the weekly title refresh (reports, IMDb if opted in)
    finder: TitleFinder | None = None  # online lookups of unknown titles (TMDB, when keyed)

    def request_stop(self) -> None:
        if not self.stopping.is_set():
            log.info("stopping: no new work; letting in-flight sends finish")
            self.stopping.set()

    async def run(self) -> None:
        """Serve until request_stop() (or SIGTERM/SIGINT), then shut down cleanly."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        app = web.Application()
        app.add_routes(
            ops_routes(
                self.core.store,
                self.metrics,
                [f.name for f in self.feeds],
                {r.platform: r for r in self.runners},
                self.config.web.ops_token,
                self.config.netflix.polling,
                self.clock,
            )
        )
        for extra in self.apps:
            for route in extra.router.routes():
                if route.resource is not None:
                    app.router.add_route(route.method, route.resource.canonical, route.handler)
        web_runner = web.AppRunner(app, access_log=None)
        await web_runner.setup()
        site = web.TCPSite(web_runner, self.config.web.host, self.config.web.port)
        await site.start()
        self.port = _bound_port(web_runner, self.config.web.port)
        log.info("web server on %s:%s (/healthz, /metrics)", self.config.web.host, self.port)
        scheduler = AsyncIOScheduler(timezone="UTC")
        jobs = Running()
        started: list[Runner] = []
        unwatch = None
        # the first start loads the bundled title records (seconds): meanwhile polls, adapters
        # and commands go on; a command that needs the analysis waits for it, never fails
        warming = asyncio.create_task(warm_up(self.core), name="warm-up")
        try:
            for runner in self.runners:
                await runner.start()
                started.append(runner)
                log.info("%s adapter started", runner.platform)
            if self.role in ("all", "worker"):
                schedule(
                    scheduler,
                    core=self.core,
                    notifier=self.notifier,
                    feeds=self.feeds,
                    config=self.config,
                    clock=self.clock,
                    metrics=self.metrics,
                    running=jobs,
                    titles=self.titles,
                    finder=self.finder,
                )
                scheduler.start()
                # queued alerts wake delivery at once; the scheduled drain stays the floor
                unwatch = await self.core.store.watch_outbox(self.notifier.wake)
            await self.stopping.wait()
        finally:
            if not warming.done():
                warming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await warming  # a failed warm-up was logged; commands judge on demand
            if unwatch is not None:
                await unwatch()
            if scheduler.running:
                scheduler.pause()
            self.notifier.stop()
            await self.notifier.wait_idle(SHUTDOWN_GRACE)
            await jobs.cancel()  # a download or ingest in flight: rolled back, done next start
            if scheduler.running:
                scheduler.shutdown(wait=False)
            for runner in reversed(started):
                try:
                    await runner.close()
                except Exception:  # closing one adapter must not stop closing the others
                    log.exception("closing the %s adapter failed", runner.platform)
            await web_runner.cleanup()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
            log.info("stopped cleanly")


YOUNG_COLLECTION = 10_000  # net allocations between young-generation collections


async def warm_up(core: Core) -> None:
    """Analyse each list's newest week before commands ask (loading the title records on a
    first start), then move the long-lived objects out of the garbage collector's way."""
    try:
        weeks = sorted(set((await core.store.latest_weeks()).values()), reverse=True)
        for week in weeks:
            await core.analyst.week(week)
    except Exception:  # commands judge on demand instead; the cause is in the log
        log.exception("warming up failed; weeks are analysed when first asked")
        return
    # they live as long as the process; without this every collection rescans them
    gc.freeze()
    # a busy bot keeps hundreds of answers in flight, each allocating coroutines, tasks and
    # dicts that die young: collecting every 700 net allocations (the default) spent ~10 % of
    # the CPU of a Slack command burst rescanning them; the cyclic garbage it leaves longer is
    # a few MB at most
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
    log.info("warmed up: %d newest weeks analysed", len(weeks))


def _bound_port(runner: web.AppRunner, configured: int) -> int:
    for site_address in runner.addresses:
        if isinstance(site_address, tuple) and len(site_address) >= 2:
            return int(site_address[1])
    return configured


@dataclass(frozen=True)
class Plan:
    """What `trendbot run` would start with a config, and what stops it from starting."""

    lines: tuple[str, ...]
    errors: tuple[str, ...]
    discord: bool = False
    slack: str | None = None  # "socket", "http" (one workspace) or "oauth" (many)

    @property
    def console(self) -> bool:
        return not self.discord and self.slack is None


def plan(config: Config) -> Plan:
    """Check that the credentials each enabled platform needs are present and plausible."""
    lines: list[str] = []
    errors: list[str] = []
    d = config.discord
    discord = bool(d.enabled and d.token)
    if discord:
        shards = f"{d.shard_count} shards" if d.shard_count else "shards as Discord recommends"
        sync = f"guilds {', '.join(map(str, d.dev_guild_ids))}" if d.dev_guild_ids else "globally"
        lines.append(f"Discord: on ({shards}; slash commands synced {sync})")
    else:
        lines.append("Discord: off" + ("" if not d.enabled else " (DISCORD_TOKEN not set)"))
    slack = _plan_slack(config, lines, errors)
    if not discord and slack is None and not errors:
        lines.append(
            "Console: on (no chat platform configured, so no channel can subscribe and no alerts"
            " are sent; charts are still refreshed. Set DISCORD_TOKEN or the Slack variables.)"
        )
    n = config.netflix
    when = (
        f"every {n.refresh_every_seconds:g} s"
        if n.refresh_every_seconds
        else f"every {n.fast_poll_seconds:g} s around Netflix's weekly publication, "
        f"every {n.slow_poll_seconds:g} s otherwise"
    )
    lines.append(f"Chart sources ({when}): " + ", ".join(n.urls))
    r = config.reviews
    keys = (("OMDb", r.omdb_api_key), ("TMDB", r.tmdb_api_key or r.tmdb_read_token))
    online = [name for name, key in keys if key]
    lines.append("Review scores: offline catalog" + "".join(f" + {name}" for name in online))
    lines.append(f"Database: {_shown_database(config.database)}")
    lines.append(f"Web: http://{config.web.host}:{config.web.port} (/healthz, /metrics)")
    return Plan(tuple(lines), tuple(errors), discord, slack)


def _plan_slack(config: Config, lines: list[str], errors: list[str]) -> str | None:
    s = config.slack
    if not s.enabled:
        lines.append("Slack: off")
        return None
    if s.bot_token and not s.bot_token.startswith("xoxb-"):
        errors.append("SLACK_BOT_TOKEN should start with xoxb- (a bot token)")
    if s.app_token and not s.app_token.startswith("xapp-"):
        errors.append("SLACK_APP_TOKEN should start with xapp- (an app-level token)")
    if s.mode == "socket":
        if s.bot_token and s.app_token:
            lines.append("Slack: on (Socket Mode, one workspace)")
            return "socket"
        if s.bot_token or s.app_token:
            missing = "SLACK_APP_TOKEN" if s.bot_token else "SLACK_BOT_TOKEN"
            errors.append(
                f"Slack Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; {missing} is not set"
            )
            return None
        lines.append("Slack: off (SLACK_BOT_TOKEN and SLACK_APP_TOKEN not set)")
        return None
    if not s.signing_secret:
        if s.bot_token or s.client_id:
            errors.append('Slack mode "http" needs SLACK_SIGNING_SECRET')
        else:
            lines.append('Slack: off (mode "http", SLACK_SIGNING_SECRET not set)')
        return None
    if s.client_id and s.client_secret:
        lines.append("Slack: on (HTTP mode with OAuth install: /slack/events, /slack/install)")
        return "oauth"
    if s.client_id or s.client_secret:
        errors.append("Slack OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        return None
    if s.bot_token:
        lines.append("Slack: on (HTTP mode, one workspace: /slack/events)")
        return "http"
    errors.append(
        'Slack mode "http" needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET'
    )
    return None


def _shown_database(database: str) -> str:
    """The database as it may appear in output: a URL's password is never shown."""
    from bot.errors import StoreError
    from bot.store import parse_target

    try:
        return parse_target(database).shown
    except StoreError as exc:
        return f"unusable ({exc})"
