"""Subcommands that put data in or fix it: ingest, replay, override, titles update, reanalyse."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bot.asks import Trending
from bot.cli.compose import date_arg, log, opened, utcnow
from bot.commands import parse as parse_command
from bot.config import Config
from bot.errors import SourceError, UserError
from bot.judge.codec import JUDGE_VERSION
from bot.judge.identity import lookup_key
from bot.models import Chart
from bot.regions import resolve_region
from bot.replay import ReplayFilter, entry_json, replay
from bot.sources import catalog as catalog_source
from bot.sources import netflix, top10_fetch
from bot.store import Store
from bot.titles.library import load_library
from bot.titles.update import TitleUpdater


async def cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    rejected = 0
    needs_network = any(top10_fetch.is_url(loc) for loc in args.locations)
    async with opened(config, args.db, online=needs_network) as (core, session):
        for location in args.locations:
            try:
                if top10_fetch.is_url(location):
                    assert session is not None
                    fetched = await top10_fetch.fetch(
                        session,
                        location,
                        timeout=config.netflix.timeout_seconds,
                        max_bytes=config.netflix.max_bytes,
                    )
                else:
                    fetched = top10_fetch.read_local(Path(location), config.netflix.max_bytes)
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


async def cmd_replay(args: argparse.Namespace, config: Config) -> int:
    category = parse_command("trending", {"category": args.category}) if args.category else None
    wanted = ReplayFilter(
        regions=frozenset(resolve_region(r) for r in args.region or ()),
        category=category.category if isinstance(category, Trending) else None,
        since=date_arg(args.since, "--since"),
        until=date_arg(args.until, "--until"),
    )
    charts: list[Chart] = []
    for location in args.charts:
        body = top10_fetch.read_local(Path(location)).body or b""
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
    since = date_arg(args.since, "--since")
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
