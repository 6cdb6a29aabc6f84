"""`trendbot run --check --online`: one real call per configured review service, and the report.

The chat platforms' calls live in adapters/preflight.py; __main__ gathers both. Each check makes
exactly one request with the same client code the bot uses, and no message quotes a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from bot.config import Config
from bot.errors import SourceError
from bot.models import Title
from bot.protocols import ReviewSource

log = logging.getLogger(__name__)

# a title every catalog knows, asked by IMDb id where the service takes one
PROBE = Title(id="tm414073", name="Backtrace", kind="movie", year=2018, imdb_id="tt3588588")


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one online check: which service, whether it works, and a plain detail."""

    name: str
    ok: bool
    detail: str


def report(checks: Sequence[Check]) -> tuple[list[str], int]:
    """Lines to print and the exit code: 0 when every check passed, 1 otherwise."""
    if not checks:
        return ["Online check: nothing configured to check (no tokens or keys are set)"], 0
    lines = ["Online check (one request to each):"]
    lines += [f"  {'✔' if c.ok else '✖'} {c.name}: {c.detail}" for c in checks]
    failed = [c.name for c in checks if not c.ok]
    lines.append(f"{len(failed)} of {len(checks)} failed: {', '.join(failed)}" if failed
                 else f"all {len(checks)} work")  # fmt: skip
    return lines, 1 if failed else 0


async def check_reviews(
    config: Config, session: aiohttp.ClientSession, clock: Callable[[], datetime]
) -> list[Check]:
    """Ask OMDb and TMDB (those with a key set) for one title's scores."""
    from bot.sources.omdb import OmdbReviews
    from bot.sources.tmdb import TmdbReviews

    r = config.reviews
    sources: list[tuple[str, ReviewSource]] = []
    if r.omdb_api_key:
        omdb = OmdbReviews(
            session, r.omdb_api_key, base_url=r.omdb_url, timeout=r.timeout_seconds, clock=clock
        )
        sources.append(("OMDb (OMDB_API_KEY)", omdb))
    if r.tmdb_api_key or r.tmdb_read_token:
        which = "TMDB_READ_TOKEN" if r.tmdb_read_token else "TMDB_API_KEY"
        tmdb = TmdbReviews(session, api_key=r.tmdb_api_key, read_token=r.tmdb_read_token,
                           base_url=r.tmdb_url, timeout=r.timeout_seconds, clock=clock)  # fmt: skip
        sources.append((f"TMDB ({which})", tmdb))
    return [await _ask(name, source) for name, source in sources]


async def _ask(name: str, source: ReviewSource) -> Check:
    try:
        scores = await source.scores(PROBE)
    except SourceError as exc:
        if "daily request limit" in str(exc):
            return Check(name, True, "the key works; today's requests are used up")
        return Check(name, False, str(exc))
    found = ", ".join(f"{s.metric.value} {s.raw}" for s in scores) or "no scores for it"
    return Check(name, True, f"works ({PROBE.name}: {found})")
