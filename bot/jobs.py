"""Scheduled work as plain async functions; bot/schedule.py wires them to APScheduler.

refresh_charts (conditional GET per feed, every few minutes around Netflix's weekly publication
and slowly otherwise — bot/polling.py; a failing feed backs off 5 min × 2ⁿ and keeps its last
good data), fetch_scores (online scores for newly charted titles), weekly_digest (opt-in per
server), prune_outbox, and the notifier's drain. Tests call these functions directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.core import Core
from bot.errors import SourceError, SourceUnavailable
from bot.judge.codec import JUDGE_VERSION
from bot.judge.week import Judged
from bot.languages import for_channel
from bot.metrics import Metrics
from bot.models import GLOBAL, Alert, ChartKey, Title
from bot.notify import Notifier
from bot.polling import PollSettings
from bot.publications import first_sighting, idle_feeds
from bot.sources import netflix, top10_fetch
from bot.store import Store
from bot.titles.online import TitleFinder, look_up
from bot.titles.update import TitleUpdater, update_job
from bot.words.charts import digest_card
from bot.words.i18n import speaking

log = logging.getLogger(__name__)

FEED_BACKOFF_BASE = timedelta(minutes=5)
FEED_BACKOFF_CAP = timedelta(hours=6)
DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Feed:
    """One Top 10 file to poll: a URL (fetched conditionally) or a local path."""

    location: str
    session: aiohttp.ClientSession | None
    timeout: float = 60.0
    max_bytes: int = 64 * 1024 * 1024

    @property
    def name(self) -> str:
        return self.location

    async def fetch(self, etag: str | None, last_modified: str | None) -> netflix.Fetched:
        if not top10_fetch.is_url(self.location):
            return top10_fetch.read_local(Path(self.location), self.max_bytes)
        if self.session is None:
            raise SourceUnavailable(f"{self.location}: no HTTP session")
        return await top10_fetch.fetch(
            self.session,
            self.location,
            etag=etag,
            last_modified=last_modified,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
        )


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    source: str
    outcome: str  # changed, unchanged, rejected, unavailable, failed, waiting, idle
    detail: str = ""
    queued: int = 0


def poll_tick(settings: PollSettings) -> float:
    """Seconds between the refresh job's looks at the plans: a fifth of the fast pace, at most a
    minute. A look polls what falls due before the next one, so the fast pace is never
    exceeded (polls come every 4–5 minutes at the default 5)."""
    return min(60.0, settings.fast.total_seconds() / 5)


def feed_backoff(failures: int) -> timedelta:
    """5 min, 10 min, 20 min … up to 6 h, by how many times the feed has failed in a row."""
    return min(FEED_BACKOFF_CAP, FEED_BACKOFF_BASE * (1 << min(max(0, failures), 16)))


async def refresh_charts(
    core: Core,
    notifier: Notifier,
    feeds: Sequence[Feed],
    clock: Callable[[], datetime],
    metrics: Metrics,
    polling: PollSettings | None = None,
    early: timedelta = timedelta(0),
) -> list[RefreshOutcome]:
    """Poll every feed once (with `polling`, only those whose plan says it is time, or will be
    within `early`: the scheduler's next look would be late); store new weeks, queue their
    alerts, then deliver."""
    plans = {} if polling is None else await idle_feeds(core.store, feeds, polling, clock(), early)
    idle = {
        name: RefreshOutcome(name, "idle", f"{p.mode}: next poll at {p.next_poll:%H:%M:%S}")
        for name, p in plans.items()
    }
    if feeds and len(idle) == len(feeds):
        return [idle[feed.name] for feed in feeds]
    outcomes = []
    leftover = await alert_new_weeks(core, notifier)  # weeks a crash left unplanned
    if leftover:
        log.info("queued %d alerts for weeks stored before a restart", leftover)
    for feed in feeds:
        if feed.name in idle:
            outcomes.append(idle[feed.name])
            continue
        try:
            outcome = await _refresh_one(core, notifier, feed, clock)
        except Exception as exc:  # one feed's trouble (even the store's) never stops the others
            log.error("chart source %s: refresh failed: %s: %s", feed.name, type(exc).__name__, exc)
            log.debug("chart source %s: refresh failure", feed.name, exc_info=True)
            outcome = RefreshOutcome(feed.name, "failed", f"{type(exc).__name__}: {exc}")
        metrics.refreshes.labels(feed.name, outcome.outcome).inc()
        outcomes.append(outcome)
    if leftover or any(o.queued for o in outcomes):
        await notifier.drain()
    return outcomes


async def _refresh_one(
    core: Core, notifier: Notifier, feed: Feed, clock: Callable[[], datetime]
) -> RefreshOutcome:
    store = core.store
    state = await store.source_health(feed.name)
    now = clock()
    due = state.next_attempt_at
    if due is not None and state.last_attempt_at is not None:
        # a wait stored by an older version (or a clock jump) is cut to the documented cap
        due = min(due, state.last_attempt_at + FEED_BACKOFF_CAP)
    if due is not None and now < due:
        return RefreshOutcome(feed.name, "waiting", f"backing off until {due}")
    try:
        fetched = await feed.fetch(state.etag, state.last_modified)
        if fetched.body is None:
            seen = clock()
            await store.record_source_success(feed.name, state.etag, state.last_modified, seen)
            await first_sighting(store, feed.name, state.last_modified, None, seen)
            return RefreshOutcome(feed.name, "unchanged")
        report = await core.ingest(fetched)
    except Exception as exc:
        if isinstance(exc, SourceError):
            kind = "unavailable" if isinstance(exc, SourceUnavailable) else "rejected"
            detail = str(exc)
        else:  # a bug or an unforeseen failure: counted and backed off like any other
            kind, detail = "failed", f"{type(exc).__name__}: {exc}"
            log.debug("chart source %s: unexpected failure", feed.name, exc_info=True)
        wait = feed_backoff(state.failures)
        if isinstance(exc, SourceUnavailable) and exc.retry_after:
            asked = timedelta(seconds=min(exc.retry_after, FEED_BACKOFF_CAP.total_seconds()))
            wait = max(wait, asked)
        failed = await store.record_source_failure(feed.name, detail, clock(), wait)
        log.log(
            logging.ERROR if kind == "failed" else logging.WARNING,
            "chart source %s %s (%d in a row; kept the last good data; next try in %s): %s",
            feed.name, kind, failed.failures, wait, detail,
        )  # fmt: skip
        return RefreshOutcome(feed.name, kind, detail)
    seen = clock()
    await store.record_source_success(feed.name, fetched.etag, fetched.last_modified, seen)
    await first_sighting(store, feed.name, fetched.last_modified, report.newest, seen)
    queued = await alert_new_weeks(core, notifier)
    log.info(
        "chart source %s: %d new lists, %d replaced, %d alerts queued",
        feed.name, len(report.saved), len(report.replaced), queued,
    )  # fmt: skip
    outcome = "changed" if report.changed else "unchanged"
    return RefreshOutcome(feed.name, outcome, queued=queued)


async def alert_new_weeks(core: Core, notifier: Notifier) -> int:
    """Queue alerts for the newest week of each list stored since alerts were last planned.

    Only the newest week counts: a first download of the whole history must not alert for two
    years of old surprises (subscriptions' baselines guard the rest). The lists are marked
    planned only after their alerts are queued, so a crash in between is made up next time
    (queuing twice is harmless: the outbox's unique key holds).
    """
    stored = await core.store.unplanned()
    newest: dict[ChartKey, date] = {}
    for key, week in stored:
        if week > newest.get(key, date.min):
            newest[key] = week
    latest = await core.store.latest_weeks()
    by_week: dict[date, set[ChartKey]] = {}
    for key, week in newest.items():
        if week == latest.get(key):
            by_week.setdefault(week, set()).add(key)
    queued = 0
    for week, keys in sorted(by_week.items()):
        analysis = await core.analyst.week(week)
        queued += await notifier.queue_week({k: v for k, v in analysis.items() if k in keys})
    await core.store.mark_planned(stored)
    return queued


async def fetch_scores(core: Core, limit: int = 50) -> int:
    """Ask online providers about titles charting in the latest week (each at most weekly)."""
    week = await core.store.latest_week()
    if week is None:
        return 0
    seen: dict[str, Title] = {}
    for entries in (await core.analyst.week(week)).values():
        for entry in entries:
            title = entry.match.title
            if title is not None and entry.match.confident and title.id not in seen:
                seen[title.id] = title
    asked = 0
    for title in list(seen.values())[:limit]:
        scores = await core.scores(title)
        asked += 1
        if scores.unavailable:
            break  # a provider is over quota or down: stop for this run
    return asked


async def refresh_titles(core: Core, titles: TitleUpdater) -> int:
    """Reload the configured title sources (reports, IMDb when opted in); records loaded."""
    loaded = sum(r.records for r in await update_job(titles) if r.outcome == "loaded")
    if loaded:  # who is who may have changed: the newest week is judged again at once
        core.analyst.forget()
        await _reanalyse_newest(core)
    return loaded


async def lookup_titles(core: Core, finder: TitleFinder, clock: Callable[[], datetime]) -> int:
    """Ask online about the newest week's titles no source knows yet; records added."""
    week = await core.store.latest_week()
    if week is None:
        return 0
    entries = [e for found in (await core.analyst.week(week)).values() for e in found]
    added = await look_up(core.store, finder, entries, clock)
    if added:
        core.analyst.forget()
        await _reanalyse_newest(core)
    return added


async def reanalyse_stale(core: Core, limit: int = 8) -> int:
    """Judge again, newest first, up to `limit` weeks analysed by an older model (a new
    release of trendbot); the rest waits for the next run, so the job resumes where it stopped."""
    weeks = await core.store.weeks_to_analyse(JUDGE_VERSION)
    for week in weeks[:limit]:
        await core.analyst.reanalyse(week)
    return min(limit, len(weeks))


async def _reanalyse_newest(core: Core) -> None:
    for week in sorted(set((await core.store.latest_weeks()).values()), reverse=True)[:2]:
        await core.analyst.reanalyse(week)


async def weekly_digest(core: Core, notifier: Notifier) -> int:
    """Queue this week's round-up for every server that turned the digest on."""
    week = await core.store.latest_week()
    if week is None:
        return 0
    analysis = await core.analyst.week(week)
    alerts = []
    for settings in await core.store.servers():
        if not (settings.digest and settings.channel_id and not settings.disabled_reason):
            continue
        surprises = _surprises_for(analysis, settings.regions, settings.categories)
        top = [e for e in surprises if e.surprise.score >= settings.threshold]
        with speaking(for_channel(settings.language, settings.locale)):
            card = digest_card(settings.regions, week, top, settings.threshold)
        alerts.append(
            Alert(settings.platform, settings.server_id, settings.channel_id,
                  ChartKey(GLOBAL, "films"), week, DIGEST, DIGEST, card)
        )  # fmt: skip
    return await notifier.enqueue(alerts)


def _surprises_for(
    analysis: dict[ChartKey, tuple[Judged, ...]],
    regions: Sequence[str],
    categories: Sequence[str],
) -> list[Judged]:
    """The server's surprises, one per event (a title surprising in 18 of its regions is one
    line, at its highest score), biggest first."""
    found = sorted(
        (
            entry
            for key, entries in analysis.items()
            if key.region in regions and key.category in categories
            for entry in entries
            if entry.surprise.alertable
        ),
        key=lambda e: (-e.surprise.score, e.key),
    )
    events: dict[str, Judged] = {}
    for entry in found:
        events.setdefault(entry.group, entry)
    return list(events.values())


async def prune_outbox(store: Store, retention_days: int, clock: Callable[[], datetime]) -> int:
    """Delete delivered and failed alerts past their retention, and shrink the file after."""
    removed = await store.prune_outbox(clock() - timedelta(days=retention_days))
    if removed:
        log.info("pruned %d delivered or failed alerts older than %d days", removed, retention_days)
        freed = await store.reclaim_space()
        log.info("gave %d free database pages back to the filesystem", freed)
    return removed
