"""`python -m bot.healthcheck [--config FILE]`: exit 0 when this machine's trendbot answers
GET /healthz with 200 on the configured port, else 1. The Docker HEALTHCHECK runs it."""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bot.config import load_config
from bot.errors import ConfigError


def healthz_url(host: str, port: int) -> str:
    """Where to ask: a wildcard bind address is reached on the loopback interface."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.healthcheck")
    parser.add_argument("--config", type=Path, help="the config file `trendbot run` uses")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds (default 4)")
    args = parser.parse_args(argv)
    try:
        web = load_config(args.config, os.environ).web
    except ConfigError as exc:
        print(f"unhealthy: configuration error: {exc}", file=sys.stderr)
        return 1
    url = healthz_url(web.host, web.port)
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # 503: the database or a chat connection is down
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
