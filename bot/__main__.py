"""`python -m bot` and the `trendbot` entry point, and the one module that wires the chat adapters
into the command line: bot/cli/ asks here for them (each imported only when a command needs it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import main
from bot.cli.compose import build_core  # tests and bench build their Core the same way

if TYPE_CHECKING:
    import aiohttp

    from adapters.console_adapter import ConsoleAdapter
    from adapters.discord_adapter import DiscordAdapter
    from adapters.slack_adapter import SlackAdapter
    from bot.asks import Context
    from bot.cards import Card
    from bot.config import Config, DiscordConfig
    from bot.core import Core
    from bot.preflight import Check

__all__ = ["build_core", "main"]


def card_text(card: Card, picture: Path | None = None) -> str:
    """A card as terminal text (the console adapter's rendering)."""
    from adapters.console_adapter import card_text as as_text

    return as_text(card, picture=picture)


def console_adapter(pictures: Path | None = None) -> ConsoleAdapter:
    from adapters.console_adapter import ConsoleAdapter

    return ConsoleAdapter(pictures=pictures)


async def console_session(core: Core, ctx: Context, console: ConsoleAdapter) -> None:
    """The demo's interactive turn at a terminal, with line editing."""
    from adapters.console_adapter import enable_line_editing, interact, read_stdin

    enable_line_editing()
    await interact(core, ctx, console, read_stdin)


async def platform_checks(
    config: Config, session: aiohttp.ClientSession, discord: bool, slack: bool
) -> list[Check]:
    """`run --check --online`: one real request per configured chat platform."""
    from adapters.preflight import check_discord, check_slack

    checks: list[Check] = []
    if discord:
        checks.append(await check_discord(config.discord, session))
    if slack:
        checks.extend(await check_slack(config.slack, session))
    return checks


def discord_adapter(
    core: Core, settings: DiscordConfig, shard_ids: tuple[int, ...] | None, gateway: bool
) -> DiscordAdapter:
    from adapters.discord_adapter import DiscordAdapter

    return DiscordAdapter(core, settings, shard_ids=shard_ids, gateway=gateway)


def slack_adapter(core: Core, config: Config) -> SlackAdapter:
    from adapters.slack_adapter import SlackAdapter

    return SlackAdapter(core, config.slack)


if __name__ == "__main__":
    sys.exit(main())
