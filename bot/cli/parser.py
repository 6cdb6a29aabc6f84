"""The argument parser: every subcommand, its options and the handler it runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from bot import __version__
from bot.cli import answers, data, serve
from bot.words.i18n import LOCALES, tag

FIRST_STEP = (
    "New here? `trendbot demo` replays 18 real weeks of 2022 into this terminal: no tokens, "
    "no network."
)


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        message = f"must be a whole number from 0 to 100, not {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, not {value}")
    return value


class UsageError(Exception):
    """argparse's complaint, raised instead of printed so that `--json` can answer in JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


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
    common.add_argument(
        "--locale",
        help=f"the language of answers: {', '.join(tag(loc) for loc in LOCALES)} (default: en)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="store Top 10 files (paths or URLs)")
    p.add_argument("locations", nargs="+", metavar="PATH_OR_URL")
    p.set_defaults(handler=data.cmd_ingest)

    p = sub.add_parser("trending", parents=[common], help="show a top 10 with movement")
    p.add_argument("--region", default="US", help="ISO code, country name or GLOBAL")
    p.add_argument("--category", default="films", help="films or tv")
    p.add_argument("--language", help="for GLOBAL: english or non-english")
    p.add_argument("--week", help="YYYY-MM-DD (the Sunday ending the week); default latest")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=answers.cmd_trending)

    p = sub.add_parser("ask", parents=[common], help='answer "should I watch X?"')
    p.add_argument("question", help='e.g. "should I watch Backtrace?" or just a title')
    p.add_argument("--region", default="US", help="whose chart momentum to consider")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=answers.cmd_ask)

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
    p.set_defaults(handler=data.cmd_replay)

    p = sub.add_parser("plot", parents=[common], help="draw a title's rank history as PNG")
    p.add_argument("title")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    p.add_argument("--region", help="region to highlight")
    p.set_defaults(handler=answers.cmd_plot)

    p = sub.add_parser(
        "override", parents=[common], help="fix which catalog title a chart title is"
    )
    p.add_argument("chart_title")
    p.add_argument("--category", choices=("films", "tv"), default="films")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--id", help="catalog id, e.g. tm414073")
    group.add_argument("--none", action="store_true", help="never match this chart title")
    p.set_defaults(handler=data.cmd_override)

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
    p.set_defaults(handler=serve.cmd_run)

    p = sub.add_parser(
        "reanalyse", parents=[common],
        help="judge stored weeks again (after a new trendbot, or new titles with --since)",
    )  # fmt: skip
    p.add_argument("--since", help="YYYY-MM-DD: judge every week from then on again")
    p.set_defaults(handler=data.cmd_reanalyse)

    p = sub.add_parser("titles", help="what trendbot knows about titles, and fresher sources")
    titles = p.add_subparsers(dest="titles_command", metavar="COMMAND", required=True)
    p = titles.add_parser("show", parents=[common], help="a title's facts and their sources")
    p.add_argument("name", help="a title as Netflix's lists print it")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=answers.cmd_titles_show)
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
    p.set_defaults(handler=data.cmd_titles_update)

    p = sub.add_parser("about", parents=[common], help="version, data credits and privacy")
    p.set_defaults(handler=answers.cmd_about)

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
    p.set_defaults(handler=serve.cmd_demo)
    return parser
