"""Subcommands that run the bot: run (roles, shards, --check, --online) and the demo; the only
module that starts adapters.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from bot import service
from bot.cli.compose import build_core, online_reviews, shifted_clock, utcnow
from bot.config import Config
from bot.core import Core
from bot.demo import run_demo
from bot.errors import UserError
from bot.jobs import Feed
from bot.metrics import Metrics
from bot.notify import Notifier
from bot.sources.tmdb import TmdbReviews
from bot.store import Store
from bot.titles.update import TitleUpdater


async def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from bot.__main__ import console_adapter, console_session  # the adapters' wiring

    console = console_adapter(args.pictures)
    with tempfile.TemporaryDirectory(prefix="trendbot-demo-") as tmp:
        store = await Store.open(Path(tmp) / "demo.db")
        try:
            core = build_core(store, config)
            ctx = await run_demo(core, console, console.show, print, utcnow)
            if sys.stdin.isatty() and not args.no_interactive:
                print("\nYour turn: /trending GB tv · /surprises US · should I watch It? · quit")
                await console_session(core, ctx, console)
        finally:
            await store.close()
    return 0


async def cmd_run(args: argparse.Namespace, config: Config) -> int:
    intended = service.plan(config)
    for line in intended.lines:
        print(line)
    for error in intended.errors:
        print(f"trendbot: configuration error: {error}", file=sys.stderr)
    if intended.errors:
        return 2
    if args.online:
        return await check_online(config, intended)
    if args.check:
        print("configuration OK")
        return 0
    shards = _shards(args.shards) if args.shards else None
    if args.role == "worker" and intended.slack == "socket":
        print(
            "trendbot: Slack Socket Mode is one connection per app: run it with --role all, or "
            'use slack.mode = "http" (a web role) for a cluster',
            file=sys.stderr,
        )
        return 2
    metrics = Metrics()
    clock = shifted_clock(config.clock_offset_seconds)
    store = await Store.open(args.db or config.database)
    session = aiohttp.ClientSession()
    closers: list[service.Runner] = []
    try:
        if args.role == "all" and store.engine == "sqlite":
            if not await store.locks.try_acquire("instance"):
                print(
                    f"trendbot: another `trendbot run` is using {store.target.shown}; stop it "
                    "first (two processes on one SQLite file would post alerts twice), or use "
                    "PostgreSQL and roles for several processes",
                    file=sys.stderr,
                )
                return 2
            # alone on this file: leases left by a killed predecessor need not run out first
            await store.clear_leases()
        core = build_core(store, config, session, clock=clock, metrics=metrics)
        runners, apps, senders = build_runners(core, config, intended, args.role, shards)
        closers = [s for s in senders if s not in runners]
        notifier = Notifier(
            store,
            {sender.platform: sender for sender in senders},
            clock,
            max_attempts=config.alerts.max_attempts,
            metrics=metrics,
            lease=timedelta(seconds=config.alerts.lease_seconds),
        )
        feeds = [
            Feed(url, session, config.netflix.timeout_seconds, config.netflix.max_bytes)
            for url in config.netflix.urls
        ]
        titles = TitleUpdater(store, core.analyst.knowledge, config.titles, utcnow, session)
        finders = [r for r in online_reviews(config, session) if isinstance(r, TmdbReviews)]
        running = service.Service(
            core, notifier, feeds, config, clock, metrics, runners, apps, role=args.role,
            titles=titles, finder=finders[0] if finders else None,
        )  # fmt: skip
        for sender in closers:
            await sender.start()
        await running.run()
    finally:
        for sender in closers:
            await sender.close()
        await session.close()
        await store.close()
    return 0


async def check_online(config: Config, intended: service.Plan) -> int:
    """`run --check --online`: one real request per configured platform and review service."""
    from bot.__main__ import platform_checks  # the adapters' wiring
    from bot.preflight import check_reviews, report

    async with aiohttp.ClientSession() as session:
        checks = await platform_checks(
            config, session, intended.discord, intended.slack is not None
        )
        checks.extend(await check_reviews(config, session, utcnow))
    lines, code = report(checks)
    print("\n".join(lines))
    return code


def build_runners(
    core: Core,
    config: Config,
    intended: service.Plan,
    role: str = "all",
    shards: tuple[tuple[int, ...], int] | None = None,
) -> tuple[list[service.Runner], list[web.Application], list[service.Runner]]:
    """The chat adapters a role starts (the console when none is configured), the web apps it
    serves, and the adapters its deliveries send through.

    gateway: Discord's gateway (a shard range); web: Slack's HTTP endpoints; worker: jobs and
    delivery (Discord logged in without a gateway, Slack's Web API); all: everything.
    """
    runners: list[service.Runner] = []
    apps: list[web.Application] = []
    senders: list[service.Runner] = []
    if intended.discord and role in ("all", "gateway", "worker"):
        from bot.__main__ import discord_adapter  # the adapters' wiring

        settings = replace(config.discord, shard_count=shards[1]) if shards else config.discord
        discord = discord_adapter(
            core, settings, shards[0] if shards else None, gateway=role != "worker"
        )
        runners.append(discord)
        if role != "gateway":
            senders.append(discord)
    if intended.slack is not None and role in ("all", "web", "worker"):
        from bot.__main__ import slack_adapter  # the adapters' wiring

        slack = slack_adapter(core, config)
        if role != "worker":
            runners.append(slack)
            if intended.slack != "socket":
                apps.append(slack.web_app())
        if role != "web":
            senders.append(slack)
    if not runners and not senders and role == "all":
        from bot.__main__ import console_adapter  # the adapters' wiring

        runners.append(console_adapter())
        senders.append(runners[0])
    return runners, apps, senders


def _shards(text: str) -> tuple[tuple[int, ...], int]:
    """`0-15/64` → shard ids 0…15 of 64 (one process runs a range of Discord's shards)."""
    try:
        span, count_text = text.split("/")
        first, _, last = span.partition("-")
        ids = tuple(range(int(first), int(last or first) + 1))
        count = int(count_text)
    except ValueError:
        raise UserError(f"--shards must look like 0-15/64 (ids/count), not {text!r}") from None
    if not ids or count < 1 or ids[0] < 0 or ids[-1] >= count:
        raise UserError(f"--shards {text}: ids must lie within 0…{max(count, 1) - 1}")
    return ids, count
