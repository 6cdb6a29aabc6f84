"""The job timetable: `schedule()` wires bot/jobs.py's jobs to APScheduler, each run once per
cluster (`once`, a lock per job) and stopped quietly at shutdown (`Running`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.core import Core
from bot.jobs import (
    Feed,
    fetch_scores,
    lookup_titles,
    poll_tick,
    prune_outbox,
    reanalyse_stale,
    refresh_charts,
    refresh_titles,
    weekly_digest,
)
from bot.metrics import Metrics
from bot.notify import Notifier
from bot.store import Store
from bot.titles.online import TitleFinder
from bot.titles.update import TitleUpdater

log = logging.getLogger(__name__)


class Running:
    """The scheduled jobs running now, so a shutdown can stop them quietly.

    APScheduler cancels a coroutine job at shutdown and logs the CancelledError as an ERROR with
    a traceback; a tracked job ends quietly instead, and `cancel()` waits until it has unwound
    (an ingest's transaction rolled back) before the store is closed.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def track(self, job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        name = getattr(job, "__name__", "job")

        async def tracked(*args: Any) -> Any:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                return await job(*args)
            except asyncio.CancelledError:
                log.info("%s stopped by shutdown; the next start does it again", name)
                return None
            finally:
                self._tasks.discard(task)

        tracked.__name__ = tracked.__qualname__ = name
        return tracked

    async def cancel(self) -> None:
        """Cancel every running job and wait until each has unwound."""
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def schedule(
    scheduler: Any,
    *,
    core: Core,
    notifier: Notifier,
    feeds: Sequence[Feed],
    config: Config,
    clock: Callable[[], datetime],
    metrics: Metrics,
    running: Running | None = None,
    titles: TitleUpdater | None = None,
    finder: TitleFinder | None = None,
) -> None:
    """Add every job to an APScheduler 3.x AsyncIOScheduler (one run at a time, coalesced).

    Every process of a cluster schedules them; each run takes the job's lock first, so a job runs
    once cluster-wide per tick (delivery is shared instead: workers lease alerts). With
    `running`, each job is tracked so that a shutdown can cancel it quietly.
    """
    store = core.store
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    def job(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        return running.track(func) if running is not None else func

    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 600}
    # APScheduler runs on the wall clock, whatever `clock` the jobs are given
    start = datetime.now(UTC)
    # publication-aware: a cheap tick asks each feed's plan whether it is time (a fixed
    # interval, for tests, polls on every tick)
    every = config.netflix.refresh_every_seconds
    settings = None if every > 0 else config.netflix.polling
    tick = every if settings is None else poll_tick(settings)
    scheduler.add_job(
        job(once(store, "refresh_charts", refresh_charts)),
        IntervalTrigger(seconds=tick, timezone=UTC),
        args=[core, notifier, feeds, clock, metrics, settings, timedelta(seconds=tick)],
        id="refresh_charts", next_run_time=start, **common,
    )  # fmt: skip
    if titles is not None and titles.configured():
        scheduler.add_job(
            job(once(store, "refresh_titles", refresh_titles)),
            CronTrigger.from_crontab(config.titles.refresh_cron, timezone=UTC),
            args=[core, titles], id="refresh_titles", **common,
        )  # fmt: skip
    if finder is not None and config.titles.lookup_online:
        scheduler.add_job(
            job(once(store, "lookup_titles", lookup_titles)),
            CronTrigger(minute=31, timezone=UTC),
            args=[core, finder, clock], id="lookup_titles", **common,
        )  # fmt: skip
    scheduler.add_job(
        job(once(store, "reanalyse_stale", reanalyse_stale)),
        IntervalTrigger(minutes=15, timezone=UTC),
        args=[core], id="reanalyse_stale", next_run_time=clock(), **common,
    )  # fmt: skip
    scheduler.add_job(
        job(notifier.drain),
        IntervalTrigger(seconds=config.alerts.deliver_every_seconds, timezone=UTC),
        id="deliver", next_run_time=start, **common,
    )  # fmt: skip
    scheduler.add_job(
        job(once(store, "fetch_scores", fetch_scores)), CronTrigger(minute=37, timezone=UTC),
        args=[core], id="fetch_scores",
        **common,
    )  # fmt: skip
    scheduler.add_job(
        job(once(store, "weekly_digest", weekly_digest)),
        CronTrigger.from_crontab(config.alerts.digest_cron, timezone=UTC),
        args=[core, notifier], id="weekly_digest", **common,
    )  # fmt: skip
    scheduler.add_job(
        job(once(store, "prune_outbox", prune_outbox)),
        CronTrigger(hour=4, minute=17, timezone=UTC),
        args=[core.store, config.alerts.outbox_retention_days, clock], id="prune_outbox",
        **common,
    )  # fmt: skip


def once(
    store: Store, name: str, job: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """`job`, run only by the process holding its lock (others skip this tick)."""

    async def run(*args: Any) -> Any:
        async with store.holding(f"job:{name}") as mine:
            if not mine:
                log.debug("%s is running in another process; skipped here", name)
                return None
            return await job(*args)

    run.__name__ = name
    return run
