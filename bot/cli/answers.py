"""Subcommands that answer like the bot does in chat: trending, ask, plot, titles show, about."""

from __future__ import annotations

import argparse
import json

from bot.asks import Trending, Watch
from bot.cli.compose import cli_context, deployment_of, fail, opened
from bot.commands import ask_query
from bot.commands import parse as parse_command
from bot.config import Config
from bot.judge.identity import lookup_key
from bot.models import GLOBAL, Title
from bot.regions import resolve_region
from bot.replay import entry_json
from bot.words.about import about_card
from bot.words.charts import trending_card
from bot.words.errors import no_data_card
from bot.words.reasons import reason_text
from bot.words.titles import titles_card, titles_json


async def cmd_trending(args: argparse.Namespace, config: Config) -> int:
    from bot.__main__ import card_text  # the console adapter's rendering

    command = parse_command(
        "trending",
        {"region": resolve_region(args.region), "category": args.category,
         "week": args.week, "language": args.language},
    )  # fmt: skip
    assert isinstance(command, Trending)
    async with opened(config, args.db, read_only=True) as (core, _):
        key, week, entries = await core.chart_for(command, cli_context())
        if not entries or week is None:
            return fail(args, no_data_card(key, command.week).title, 1)
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
    from bot.__main__ import card_text  # the console adapter's rendering

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
        if args.json:
            judged, _week, _image = await core.verdict_for(found, region, picture=False)
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
                card_text(
                    await core.run(
                        "watch", {"title": question.query, "region": region}, cli_context()
                    )
                )
            )
    return 0


async def cmd_plot(args: argparse.Namespace, config: Config) -> int:
    from bot.__main__ import card_text  # the console adapter's rendering

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


async def cmd_titles_show(args: argparse.Namespace, config: Config) -> int:
    from bot.__main__ import card_text  # the console adapter's rendering

    async with opened(config, args.db, read_only=True) as (core, _):
        key = lookup_key(args.name)
        found = (await core.analyst.knowledge.titles([key]))[key]
    if args.json:
        print(json.dumps({"query": args.name, "titles": titles_json(found)}, ensure_ascii=False,
                         indent=2))  # fmt: skip
    else:
        print(card_text(titles_card(args.name, found)))
    return 0 if found else 1


async def cmd_about(args: argparse.Namespace, config: Config) -> int:
    from bot.__main__ import card_text  # the console adapter's rendering

    print(card_text(about_card(deployment_of(config), None, cli_context().platform)))
    return 0
