"""`python -m bot` and the `trendbot` entry point; the command line itself is bot/cli/."""

from __future__ import annotations

import sys

from bot.cli import main
from bot.cli.compose import build_core  # tests and bench build their Core the same way

__all__ = ["build_core", "main"]

if __name__ == "__main__":
    sys.exit(main())
