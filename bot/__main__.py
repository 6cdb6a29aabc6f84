"""The `trendbot` command line and the composition root: the only place wiring adapters to the core.

Subcommands: ingest, trending, ask, replay, plot, override, demo, run. Each creates one Store and at
most one aiohttp session here and passes them down.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import aiohttp
from aiohttp import web

from adapters.console_adapter import card_text
from bot import __version__, logs, redaction, service
from bot.admin import Admin
from bot.analysis import Analyst
from bot.commands import ask_query
from bot.commands import parse as parse_command
from bot.config import SECRET_ENV, Config, load_config
from bot.core import Core
from bot.demo import run_demo
from bot.errors import ConfigError, SourceError, StoreError, UserError
from bot.jobs import Feed
from bot.judge.codec import JUDGE_VERSION
from bot.judge.identity import lookup_key
from bot.matching import build_index
from bot.metrics import Metrics
from bot.models import GLOBAL, Chart, Context, Deployment, Title, Trending, Watch
from bot.notify import Notifier
from bot.protocols import ReviewSource
from bot.regions import resolve_region
from bot.replay import ReplayFilter, entry_json, replay
from bot.reviews import ScoreBook
from bot.sources import catalog as catalog_source
from bot.sources import netflix
from bot.sources.tmdb import TmdbReviews
from bot.store import Store
from bot.titles.knowledge import FactsReviews, TitleKnowledge
from bot.titles.library import load_library
from bot.titles.update import TitleUpdater
from bot.words.about import about_card
from bot.words.charts import trending_card
from bot.words.errors import no_data_card
from bot.words.reasons import reason_text
from bot.words.titles import titles_card, titles_json

log = logging.getLogger("trendbot")
CLI = Context("cli", "cli", "cli", "cli", is_admin=True)
FIRST_STEP = (
    "New here? `trendbot demo` replays 18 real weeks of 2022 into this terminal: no tokens, "
    "no network."
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def shifted_clock(offset_seconds: float) -> Callable[[], datetime]:
    """The wall clock, or (TRENDBOT_CLOCK_OFFSET, for tests) the wall clock moved by an offset."""
    if not offset_seconds:
        return utcnow
    offset = timedelta(seconds=offset_seconds)
    log.warning(
        "TRENDBOT_CLOCK_OFFSET is set: this service's clock reads %s UTC (meant for tests)",
        f"{utcnow() + offset:%Y-%m-%d %H:%M}",
    )
    return lambda: datetime.now(UTC) + offset


# ---- composition ---------------------------------------------------------------------------------


def online_reviews(config: Config, session: aiohttp.ClientSession | None) -> list[ReviewSource]:
    """OMDb and TMDB when their keys are set (and we may use the network)."""
    if session is None:
        return []
    from bot.sources.omdb import OmdbReviews
    from bot.sources.tmdb import TmdbReviews

    found: list[ReviewSource] = []
    r = config.reviews
    if r.omdb_api_key:
        found.append(
            OmdbReviews(
                session,
                r.omdb_api_key,
                base_url=r.omdb_url,
                timeout=r.timeout_seconds,
                clock=utcnow,
            )
        )
    if r.tmdb_api_key or r.tmdb_read_token:
        found.append(
            TmdbReviews(
                session,
                api_key=r.tmdb_api_key,
                read_token=r.tmdb_read_token,
                base_url=r.tmdb_url,
                timeout=r.timeout_seconds,
                clock=utcnow,
            )
        )
    return found


def build_core(
    store: Store,
    config: Config,
    session: aiohttp.ClientSession | None = None,
    catalog: catalog_source.Catalog | None = None,
    clock: Callable[[], datetime] = utcnow,
    reviews: Sequence[ReviewSource] | None = None,
    metrics: Metrics | None = None,
) -> Core:
    catalog = catalog or catalog_source.load_catalog()
    online = list(reviews) if reviews is not None else online_reviews(config, session)
    knowledge = TitleKnowledge(store, clock)
    offline: list[ReviewSource] = [catalog_source.CatalogReviews(catalog), FactsReviews(knowledge)]
    book = ScoreBook(store, offline, online, clock)
    analyst = Analyst(store, knowledge, build_index(catalog.titles), catalog.scores, clock)
    admin = Admin(store, config.alerts, clock, config.netflix.polling)
    return Core(
        store, catalog, analyst, book, admin, clock, metrics or Metrics(), deployment_of(config)
    )


def deployment_of(config: Config) -> Deployment:
    """What /about tells about this configuration."""
    r = config.reviews
    keys = (("omdb", r.omdb_api_key), ("tmdb", r.tmdb_api_key or r.tmdb_read_token))
    return Deployment(
        __version__,
        online_scores=tuple(name for name, key in keys if key),
        outbox_retention_days=config.alerts.outbox_retention_days,
    )


@asynccontextmanager
async def opened(
    config: Config, db: str | None, *, online: bool = False, read_only: bool = False
) -> AsyncIterator[tuple[Core, aiohttp.ClientSession | None]]:
    """A Core over the configured database; reading commands open it read-only (they never
    write, so they work on a read-only file and beside a running bot)."""
    store = await Store.open(db or config.database, read_only=read_only)
    session = aiohttp.ClientSession() if online else None
    try:
        yield build_core(store, config, session), session
    finally:
        if session is not None:
            await session.close()
        await store.close()


# ---- subcommands ---------------------------------------------------------------------------------


async def cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    rejected = 0
    needs_network = any(netflix.is_url(loc) for loc in args.locations)
    async with opened(config, args.db, online=needs_network) as (core, session):
        for location in args.locations:
            try:
                if netflix.is_url(location):
                    assert session is not None
                    fetched = await netflix.fetch(
                        session,
                        location,
                        timeout=config.netflix.timeout_seconds,
                        max_bytes=config.netflix.max_bytes,
                    )
                else:
                    fetched = netflix.read_local(Path(location), config.netflix.max_bytes)
                report = await core.ingest(fetched)
            except SourceError as exc:
                rejected += 1
                print(f"REJECTED {location}: {exc}")
                continue
            weeks = sorted({w for _k, w in report.changed})
            span = f"{weeks[0]} … {weeks[-1]}" if weeks else "no new weeks"
            print(
                f"{location}: {len(report.saved)} new lists, {len(report.replaced)} replaced, "
                f"{report.unchanged} unchanged, "
                f"{len(report.kept)} kept (stored copy as good or newer) "
                f"— {span}"
            )
        totals = await core.store.totals()
    print(
        f"database: {totals.weeks} weeks ({totals.first_week} … {totals.last_week}), "
        f"{totals.regions} regions, {totals.charts} lists, {totals.rows} rows"
    )
    return 1 if rejected else 0


async def cmd_trending(args: argparse.Namespace, config: Config) -> int:
    command = parse_command(
        "trending",
        {"region": resolve_region(args.region), "category": args.category,
         "week": args.week, "language": args.language},
    )  # fmt: skip
    assert isinstance(command, Trending)
    async with opened(config, args.db, read_only=True) as (core, _):
        key, week, entries = await core.chart_for(command, CLI)
        if not entries or week is None:
            return _fail(args, no_data_card(key, command.week).title, 1)
        threshold = config.alerts.default_threshold
        if args.json:
            print(
                json.dumps(
                    {
                        "region": key.region,
                        "category": key.category,
                        "language": key.language or None,
                        "week": week.isoformat(),
                        "threshold": threshold,
                        "entries": [entry_json(e, threshold) for e in entries],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(card_text(trending_card(key, week, entries, threshold)))
    return 0


async def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    question = Watch(ask_query(args.question))
    region = resolve_region(args.region)
    async with opened(config, args.db, online=True, read_only=True) as (core, _):
        found = await core.find_title(question.query)
        if not isinstance(found, Title):
            if args.json:
                print(
                    json.dumps(
                        {
                            "error": found.title,
                            "candidates": found.fields and found.fields[0].value.splitlines(),
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                print(card_text(found))
            return 1
        judged, week, image = await core.verdict_for(found, region)
        if args.json:
            history = await core.store.title_history(found.name)
            print(
                json.dumps(
                    {
                        "title": found.name,
                        "year": found.year,
                        "kind": found.kind,
                        "advice": judged.advice.value,
                        "reasons": [reason_text(r) for r in judged.reasons],
                        "scores": {
                            s.metric.value: {
                                "value": s.value,
                                "raw": s.raw,
                                "source": s.provider,
                                "fetched": s.fetched.isoformat(),
                            }
                            for s in judged.scores.items
                        },  # fmt: skip
                        "unavailable": list(judged.scores.unavailable),
                        "charts": [
                            {
                                "region": k.region,
                                "category": k.category,
                                "language": k.language or None,
                                "week": w.isoformat(),
                                "rank": r,
                            }
                            for k, w, r in history
                        ],  # fmt: skip
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(
                card_text(await core.run("watch", {"title": question.query, "region": region}, CLI))
            )
    return 0


async def cmd_replay(args: argparse.Namespace, config: Config) -> int:
    category = parse_command("trending", {"category": args.category}) if args.category else None
    wanted = ReplayFilter(
        regions=frozenset(resolve_region(r) for r in args.region or ()),
        category=category.category if isinstance(category, Trending) else None,
        since=_date(args.since, "--since"),
        until=_date(args.until, "--until"),
    )
    charts: list[Chart] = []
    for location in args.charts:
        body = netflix.read_local(Path(location)).body or b""
        charts.extend(netflix.parse_top10(body, location, today=utcnow().date()))
    with tempfile.TemporaryDirectory(prefix="trendbot-replay-") as tmp:
        store = await Store.open(Path(tmp) / "replay.db")
        try:
            report = await store.save_charts(charts, "replay", utcnow())
            if report.kept:
                log.info("replay: %d lists kept from an earlier file", len(report.kept))
        finally:
            await store.close()
    names = {lookup_key(row.title) for chart in charts for row in chart.rows}
    extra = [*(args.titles or ()), *([args.catalog] if args.catalog else [])]
    library = load_library(extra, catalog_source.load_catalog().scores, names)
    out = sys.stdout
    for entry in replay(charts, library.book, library.scores_for, wanted, library.new_films):
        out.write(json.dumps(entry_json(entry, args.threshold), ensure_ascii=False) + "\n")
    return 0


async def cmd_plot(args: argparse.Namespace, config: Config) -> int:
    async with opened(config, args.db, read_only=True) as (core, _):
        found = await core.find_title(args.title)
        if not isinstance(found, Title):
            print(card_text(found))
            return 1
        region = resolve_region(args.region) if args.region else None
        history = await core.store.title_history(found.name)
        series = [(k.region, w, r) for k, w, r in history if k.region != GLOBAL]
    from bot import plots  # matplotlib is slow to import; only this command needs it here

    png = plots.rank_history_png(found.name, series, region)
    args.out.write_bytes(png)
    print(f"{args.out}: rank history of {found.name} in {len({r for r, _, _ in series})} regions")
    return 0


async def cmd_override(args: argparse.Namespace, config: Config) -> int:
    kind = "movie" if args.category == "films" else "show"
    try:  # a shell passes bytes that are not UTF-8 as lone surrogates: not a title to store
        args.chart_title.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(
            f"{args.chart_title!r} is not UTF-8 text; type the title as shown"
        ) from None
    async with opened(config, args.db) as (core, _):
        title_id = None if args.none else args.id
        if title_id is not None and title_id not in core.analyst.index.by_id:
            print(f"trendbot: {title_id} is not a catalog id", file=sys.stderr)
            return 2
        await core.store.set_override(args.chart_title, kind, title_id, "cli", utcnow())
    target = core.analyst.index.by_id.get(title_id or "")
    print(f"{args.chart_title!r} ({args.category}) → {target.name if target else 'no match'}")
    return 0


async def cmd_titles_show(args: argparse.Namespace, config: Config) -> int:
    async with opened(config, args.db, read_only=True) as (core, _):
        key = lookup_key(args.name)
        found = (await core.analyst.knowledge.titles([key]))[key]
    if args.json:
        print(json.dumps({"query": args.name, "titles": titles_json(found)}, ensure_ascii=False,
                         indent=2))  # fmt: skip
    else:
        print(card_text(titles_card(args.name, found)))
    return 0 if found else 1


async def cmd_titles_update(args: argparse.Namespace, config: Config) -> int:
    needs_network = any(s.startswith(("http://", "https://")) for s in args.sources) or (
        not args.sources
    )
    async with opened(config, args.db, online=needs_network) as (core, session):
        updater = TitleUpdater(core.store, core.analyst.knowledge, config.titles, utcnow, session)
        if not args.sources and not updater.configured():
            print("trendbot: no title sources configured: name files or URLs, or set "
                  "[titles] report_urls (and imdb_noncommercial)", file=sys.stderr)  # fmt: skip
            return 2
        results = await updater.update(args.sources)
    for result in results:
        detail = f" ({result.detail})" if result.detail else ""
        print(f"{result.source}: {result.outcome} {result.origin} {result.records:,} records"
              f"{detail}".replace("  ", " "))  # fmt: skip
    return 1 if any(r.outcome == "failed" for r in results) else 0


async def cmd_reanalyse(args: argparse.Namespace, config: Config) -> int:
    since = _date(args.since, "--since")
    async with opened(config, args.db) as (core, _):
        if since is not None:  # titles or overrides changed: these weeks are judged again
            await core.store.forget_analyses(since)
        weeks = await core.store.weeks_to_analyse(JUDGE_VERSION, since)
        for done, week in enumerate(weeks, start=1):
            await core.analyst.reanalyse(week)
            print(f"{week.isoformat()} analysed ({done}/{len(weeks)})", flush=True)
    if not weeks:
        print("every stored week is analysed by this version of trendbot")
    return 0


async def cmd_about(args: argparse.Namespace, config: Config) -> int:
    print(card_text(about_card(deployment_of(config), None, CLI.platform)))
    return 0


async def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from adapters.console_adapter import (
        ConsoleAdapter,
        enable_line_editing,
        interact,
        read_stdin,
    )

    console = ConsoleAdapter(pictures=args.pictures)
    with tempfile.TemporaryDirectory(prefix="trendbot-demo-") as tmp:
        store = await Store.open(Path(tmp) / "demo.db")
        try:
            core = build_core(store, config)
            ctx = await run_demo(core, console, console.show, print, utcnow)
            if sys.stdin.isatty() and not args.no_interactive:
                enable_line_editing()
                print("\nYour turn: /trending GB tv · /surprises US · should I watch It? · quit")
                await interact(core, ctx, console, read_stdin)
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
    from adapters.preflight import check_discord, check_slack
    from bot.preflight import Check, check_reviews, report

    checks: list[Check] = []
    async with aiohttp.ClientSession() as session:
        if intended.discord:
            checks.append(await check_discord(config.discord, session))
        if intended.slack is not None:
            checks.extend(await check_slack(config.slack, session))
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
        from adapters.discord_adapter import DiscordAdapter

        settings = replace(config.discord, shard_count=shards[1]) if shards else config.discord
        discord = DiscordAdapter(
            core, settings, shard_ids=shards[0] if shards else None, gateway=role != "worker"
        )
        runners.append(discord)
        if role != "gateway":
            senders.append(discord)
    if intended.slack is not None and role in ("all", "web", "worker"):
        from adapters.slack_adapter import SlackAdapter

        slack = SlackAdapter(core, config.slack)
        if role != "worker":
            runners.append(slack)
            if intended.slack != "socket":
                apps.append(slack.web_app())
        if role != "web":
            senders.append(slack)
    if not runners and not senders and role == "all":
        from adapters.console_adapter import ConsoleAdapter

        runners.append(ConsoleAdapter())
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


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        message = f"must be a whole number from 0 to 100, not {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, not {value}")
    return value


def _date(text: str | None, flag: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} must be a date like 2022-06-26, not {text!r}") from None


class _UsageError(Exception):
    """argparse's complaint, raised instead of printed so that `--json` can answer in JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


def _fail(args: argparse.Namespace | None, message: str, code: int) -> int:
    """One clean message: a JSON object on stdout under --json, one line on stderr otherwise."""
    if args is not None and getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"trendbot: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # text from the command line may not be encodable
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        if "--json" in argv:
            return _fail(argparse.Namespace(json=True), f"{exc.parser.prog}: {exc}", 2)
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.command is None:  # a bare `trendbot`: say what it can do and where to start
        parser.print_help()
        return 0
    logs.configure(logging.DEBUG if args.verbose else logging.WARNING)
    # before anything can log: secrets come only from the environment, so mask them all
    unredact = redaction.install(os.environ.get(name) for name in SECRET_ENV)
    try:
        config = load_config(args.config, os.environ)
        level = config.log_level if args.command == "run" else logging.WARNING
        logs.configure(logging.DEBUG if args.verbose else level, config.log_format)
        if args.command == "run" and not args.verbose:
            # APScheduler logs every job run at INFO; keep its warnings (skipped runs) only
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        return int(asyncio.run(args.handler(args, config)))
    except ConfigError as exc:
        return _fail(args, f"configuration error: {exc}", 2)
    except UserError as exc:  # its message already names any suggestions
        return _fail(args, str(exc), 2)
    except (SourceError, StoreError) as exc:
        return _fail(args, str(exc), 1)
    except KeyboardInterrupt:
        return 130
    finally:
        unredact()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="trendbot",
        description="Surprises in Netflix's weekly Top 10, for Discord and Slack.",
        epilog=FIRST_STEP,
    )
    parser.add_argument("--version", action="version", version=f"trendbot {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML config file (see config.example.toml)")
    common.add_argument(
        "--db", help="SQLite file, sqlite:///path or postgresql://user@host/db (default: config)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="store Top 10 files (paths or URLs)")
    p.add_argument("locations", nargs="+", metavar="PATH_OR_URL")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("trending", parents=[common], help="show a top 10 with movement")
    p.add_argument("--region", default="US", help="ISO code, country name or GLOBAL")
    p.add_argument("--category", default="films", help="films or tv")
    p.add_argument("--language", help="for GLOBAL: english or non-english")
    p.add_argument("--week", help="YYYY-MM-DD (the Sunday ending the week); default latest")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_trending)

    p = sub.add_parser("ask", parents=[common], help='answer "should I watch X?"')
    p.add_argument("question", help='e.g. "should I watch Backtrace?" or just a title')
    p.add_argument("--region", default="US", help="whose chart momentum to consider")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser(
        "replay", parents=[common], help="score a history, week by week (JSON lines)"
    )
    p.add_argument("--charts", nargs="+", required=True, metavar="TSV")
    p.add_argument(
        "--titles",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="more title sources for this backtest: engagement reports (XLSX), title CSVs, "
        "IMDb dataset files (title.basics/title.ratings .tsv.gz); added to the bundled ones",
    )
    p.add_argument("--catalog", type=Path, metavar="CSV", help=argparse.SUPPRESS)
    p.add_argument("--region", action="append", help="only these regions (repeatable)")
    p.add_argument("--category", help="films or tv")
    p.add_argument("--since", help="first week to print (history before it still counts)")
    p.add_argument("--until", help="last week to print")
    p.add_argument("--threshold", type=_threshold, default=60, help="surprise threshold (0–100)")
    p.add_argument("--json", action="store_true", help="JSON lines (the only format)")
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("plot", parents=[common], help="draw a title's rank history as PNG")
    p.add_argument("title")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    p.add_argument("--region", help="region to highlight")
    p.set_defaults(handler=cmd_plot)

    p = sub.add_parser(
        "override", parents=[common], help="fix which catalog title a chart title is"
    )
    p.add_argument("chart_title")
    p.add_argument("--category", choices=("films", "tv"), default="films")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--id", help="catalog id, e.g. tm414073")
    group.add_argument("--none", action="store_true", help="never match this chart title")
    p.set_defaults(handler=cmd_override)

    p = sub.add_parser("run", parents=[common], help="run the bot: adapters, scheduler, /healthz")
    p.add_argument("--check", action="store_true", help="validate the config and credentials, exit")
    p.add_argument(
        "--online",
        action="store_true",
        help="with --check: call each configured platform and review service once, report",
    )
    p.add_argument(
        "--role",
        choices=("all", "gateway", "web", "worker"),
        default="all",
        help="all (one process, the default) or one part of a cluster on PostgreSQL",
    )
    p.add_argument("--shards", metavar="IDS/COUNT", help="gateway: Discord shards, e.g. 0-15/64")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "reanalyse", parents=[common],
        help="judge stored weeks again (after a new trendbot, or new titles with --since)",
    )  # fmt: skip
    p.add_argument("--since", help="YYYY-MM-DD: judge every week from then on again")
    p.set_defaults(handler=cmd_reanalyse)

    p = sub.add_parser("titles", help="what trendbot knows about titles, and fresher sources")
    titles = p.add_subparsers(dest="titles_command", metavar="COMMAND", required=True)
    p = titles.add_parser("show", parents=[common], help="a title's facts and their sources")
    p.add_argument("name", help="a title as Netflix's lists print it")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_titles_show)
    p = titles.add_parser(
        "update", parents=[common],
        help="load title sources: engagement reports (XLSX), IMDb datasets, title CSVs",
    )  # fmt: skip
    p.add_argument(
        "sources",
        nargs="*",
        metavar="PATH_OR_URL",
        help="default: [titles] report_urls, and IMDb's datasets if opted in",
    )
    p.set_defaults(handler=cmd_titles_update)

    p = sub.add_parser("about", parents=[common], help="version, data credits and privacy")
    p.set_defaults(handler=cmd_about)

    p = sub.add_parser(
        "demo", parents=[common], help="replay the bundled weeks into a console channel"
    )
    p.add_argument("--no-interactive", action="store_true", help="exit after the replay")
    p.add_argument(
        "--pictures",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where rank-history pictures are saved (default: the current directory)",
    )
    p.set_defaults(handler=cmd_demo)
    return parser


if __name__ == "__main__":
    sys.exit(main())
