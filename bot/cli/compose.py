"""The composition root: one Store, at most one aiohttp session and the Core built over them,
plus the helpers every subcommand shares (the clock, dates, one clean failure message).

Only bot/__main__.py imports adapters (tests/test_layering.py): serve.py asks it for the ones it
starts, answers.py for the console's way of printing Cards.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import aiohttp

from bot import __version__
from bot.admin import Admin
from bot.analysis import Analyst
from bot.asks import Context
from bot.config import Config
from bot.core import Core
from bot.errors import UserError
from bot.matching import build_index
from bot.metrics import Metrics
from bot.models import Deployment
from bot.protocols import ReviewSource
from bot.reviews import ScoreBook
from bot.sources import catalog as catalog_source
from bot.sources.tmdb import TmdbReviews
from bot.store import Store
from bot.titles.knowledge import FactsReviews, TitleKnowledge
from bot.words.i18n import current, tag

log = logging.getLogger("trendbot")


def utcnow() -> datetime:
    return datetime.now(UTC)


def cli_context() -> Context:
    """The command line as a chat user: an admin, speaking --locale (the language in force); its
    answers are printed, so no pictures are drawn (`trendbot plot` saves one)."""
    spoken = tag(current())
    return Context("cli", "cli", "cli", "cli", is_admin=True, locale=spoken, server_locale=spoken,
                   pictures=False)  # fmt: skip


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


def online_reviews(config: Config, session: aiohttp.ClientSession | None) -> list[ReviewSource]:
    """OMDb and TMDB when their keys are set (and we may use the network)."""
    if session is None:
        return []
    from bot.sources.omdb import OmdbReviews

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


def date_arg(text: str | None, flag: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} must be a date like 2022-06-26, not {text!r}") from None


def fail(args: argparse.Namespace | None, message: str, code: int) -> int:
    """One clean message: a JSON object on stdout under --json, one line on stderr otherwise."""
    if args is not None and getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"trendbot: {message}", file=sys.stderr)
    return code
