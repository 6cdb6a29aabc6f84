"""The `trendbot` command line: parse, configure logging and redaction, run one subcommand, and
turn every expected failure into one clean message (JSON under --json) and an exit code.

Modules: parser (arguments), compose (the composition root), answers, data and serve (the
subcommands).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import sys
from collections.abc import Sequence

from bot import logs, redaction
from bot.cli.compose import fail
from bot.cli.parser import UsageError, build_parser
from bot.config import SECRET_ENV, load_config
from bot.errors import ConfigError, SourceError, StoreError, UserError
from bot.words.i18n import LOCALES, SOURCE, negotiate, speaking, tag


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # text from the command line may not be encodable
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        if "--json" in argv:
            return fail(argparse.Namespace(json=True), f"{exc.parser.prog}: {exc}", 2)
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.command is None:  # a bare `trendbot`: say what it can do and where to start
        parser.print_help()
        return 0
    logs.configure(logging.DEBUG if args.verbose else logging.WARNING)
    wanted = getattr(args, "locale", None)
    locale = negotiate(wanted) if wanted else SOURCE
    if locale is None:
        shipped = ", ".join(tag(loc) for loc in LOCALES)
        return fail(args, f"--locale {wanted!r}: trendbot speaks {shipped}", 2)
    # before anything can log: secrets come only from the environment, so mask them all
    unredact = redaction.install(os.environ.get(name) for name in SECRET_ENV)
    try:
        config = load_config(args.config, os.environ)
        level = config.log_level if args.command == "run" else logging.WARNING
        logs.configure(logging.DEBUG if args.verbose else level, config.log_format)
        if args.command == "run" and not args.verbose:
            # APScheduler logs every job run at INFO; keep its warnings (skipped runs) only
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        with speaking(locale):  # the event loop's tasks start from this context
            return int(asyncio.run(args.handler(args, config)))
    except ConfigError as exc:
        return fail(args, f"configuration error: {exc}", 2)
    except UserError as exc:  # its message already names any suggestions
        return fail(args, str(exc), 2)
    except (SourceError, StoreError) as exc:
        return fail(args, str(exc), 1)
    except KeyboardInterrupt:
        return 130
    finally:
        unredact()
