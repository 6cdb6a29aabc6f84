"""Alert delivery: queue planned alerts in the outbox (bot/planning.py plans them), drain it.

The outbox row is written before anything is sent and has a UNIQUE key (platform, channel, list,
week, title, kind), so re-planning a week never queues an alert twice. Any number of workers drain
it: each leases a batch of due alerts (a few per channel, channels taking turns, only platforms it
runs), and records an outcome only while the lease is still its own. Each send is claimed first;
after a crash a claimed row is checked with the platform (Discord drops a repeated nonce; Slack is
asked whether the message is already there) instead of being posted again.
Pacing follows DESIGN §4: Discord's global rate is held by one sender cluster-wide (a lock), Slack
is paced per workspace, and every channel has its interval; 429 → wait Retry-After; 5xx/timeouts →
back off and retry; 403/404 → disable that server's alerts with a reason and tell its admins once.
Here: queueing, leasing and pacing; each send's claim and outcome are in bot/sending.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from bot.judge.week import Judged
from bot.metrics import Metrics
from bot.models import Alert, ChartKey, PendingAlert
from bot.pacing import PACES, Pace, Pacer
from bot.planning import plan_alerts
from bot.protocols import BundleSender, ChatAdapter
from bot.sending import Outcome, Sends, Tally, backoff, dedupe_key, plays
from bot.store import Store

log = logging.getLogger(__name__)

__all__ = ["DrainReport", "Notifier", "backoff", "dedupe_key"]

LEASE = timedelta(seconds=60)  # a dead worker's alerts go to another after this
CLAIM_BATCH = 500
PER_CHANNEL = 10  # alerts of one channel per claim: others get their turn in the same batch
SENDER_LOCK = "sender:{platform}"


@dataclass(frozen=True, slots=True)
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    disabled_channels: tuple[tuple[str, str], ...] = ()  # (platform, channel)


@dataclass(slots=True)
class _Run:
    """One drain's state, shared by its batches."""

    tally: Tally = field(default_factory=Tally)
    stopped: set[tuple[str, str]] = field(default_factory=set)  # rate-limited or gone: later


class Notifier(Sends):
    """Queues alerts and delivers them through whichever adapters are running."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        *,
        max_attempts: int = 8,
        paces: Mapping[str, Pace] = PACES,
        metrics: Metrics | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        lease: timedelta = LEASE,
    ) -> None:
        self._lease = lease
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._max_attempts = max_attempts
        self._metrics = metrics or Metrics()
        self._sleep = sleep
        self._monotonic = monotonic
        self._pacer = Pacer(paces, lambda seconds: self._sleep(seconds), monotonic)
        self._stopping = asyncio.Event()
        self._sent_ids: list[tuple[int, str | None]] = []
        self._recording: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._woken: asyncio.Task[DrainReport] | None = None

    def wake(self) -> None:
        """Alerts were queued (here or in another process): drain soon, once."""
        if self._stopping.is_set() or (self._woken is not None and not self._woken.done()):
            return
        self._woken = asyncio.get_running_loop().create_task(self.drain(), name="drain-woken")

    def stop(self) -> None:
        """Finish the sends under way, start no new ones (the rest stays queued)."""
        self._stopping.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait for a drain under way to finish its in-flight sends; False if it took too long."""
        try:
            async with asyncio.timeout(timeout):
                async with self._lock:
                    return True
        except TimeoutError:
            log.warning(
                "gave up waiting for in-flight sends after %.0f s; they stay queued", timeout
            )
            return False

    async def enqueue(self, alerts: Iterable[Alert]) -> int:
        by_platform: dict[str, list[Alert]] = {}
        for alert in alerts:
            by_platform.setdefault(alert.platform, []).append(alert)
        total = 0
        for platform, group in by_platform.items():
            added = await self._store.enqueue(group, self._clock())
            self._metrics.alerts_queued.labels(platform).inc(added)
            total += added
        return total

    async def queue_week(self, analysis: Mapping[ChartKey, tuple[Judged, ...]]) -> int:
        """Queue the alerts one analysed week calls for, for every subscribed channel."""
        return await self.enqueue(plan_alerts(analysis, await self._store.subscribers()))

    async def drain(self, limit: int = 5000) -> DrainReport:
        """Try every due alert once (up to `limit`), in leased batches, many channels at once
        within each platform's pace; alerts of platforms not sending here stay queued."""
        async with self._lock:  # the scheduler and a refresh may both ask; one drain at a time
            run = _Run()
            platforms = await self._sending_platforms()
            handled = 0
            held: list[PendingAlert] = []  # a channel cut short by a full claim, to come whole
            try:
                while handled < limit and platforms and not self._stopping.is_set():
                    batch, held = await self._claim(platforms, limit - handled, held)
                    fresh = [p for p in batch if _channel_of(p) not in run.stopped]
                    await self._give_back([p for p in batch if _channel_of(p) in run.stopped])
                    if not fresh:
                        break
                    handled += len(fresh)
                    await self._send_batch(fresh, run)
            finally:
                await self._give_back(held)
            tally = run.tally
            self._metrics.outbox_pending.set((await self._store.outbox_counts()).get("pending", 0))
            return DrainReport(tally.sent, tally.retried, tally.failed, tuple(tally.disabled))

    async def _claim(
        self, platforms: list[str], room: int, held: list[PendingAlert]
    ) -> tuple[list[PendingAlert], list[PendingAlert]]:
        """Lease and claim the next due alerts (at most `room`), joined to those `held` back
        from the last claim; returns the batch and the alerts to hold back for the next.
        """
        wanted = min(CLAIM_BATCH, room)
        found = await self._store.claim_due(
            platforms, self._clock(), self._lease, limit=wanted, per_channel=PER_CHANNEL
        )
        batch = sorted(held + found, key=lambda p: p.id) if held else found
        if len(found) < wanted:
            return batch, []
        return _whole_channels(batch)

    async def _sending_platforms(self) -> list[str]:
        """Platforms this process sends for now: one sender cluster-wide where the platform's
        rate is global (Discord); the lock is kept while this process runs."""
        found = []
        for platform in self._adapters:
            if self._pace(platform).one_sender:
                name = SENDER_LOCK.format(platform=platform)
                if not self._store.locks.holds(name) and not await self._store.locks.try_acquire(
                    name
                ):
                    continue  # another process holds the budget; it sends these
            found.append(platform)
        return found

    async def _send_batch(self, batch: list[PendingAlert], run: _Run) -> None:
        groups: dict[tuple[str, str], list[PendingAlert]] = {}
        for pending in batch:
            groups.setdefault(_channel_of(pending), []).append(pending)
        semaphores = {
            platform: asyncio.Semaphore(self._pace(platform).concurrency)
            for platform, _channel in groups
        }
        attempted: set[int] = set()
        try:
            await asyncio.gather(
                *(
                    self._channel(self._bundles(items), semaphores[key[0]], run, attempted)
                    for key, items in groups.items()
                )
            )
        finally:
            await self._record_all()
            await self._give_back([p for p in batch if p.id not in attempted])

    async def _give_back(self, leased: list[PendingAlert]) -> None:
        """Unsent leased alerts go back to the queue at once (stopping, or channel paused)."""
        by_lease: dict[str, list[int]] = {}
        for pending in leased:
            if pending.lease is not None:
                by_lease.setdefault(pending.lease, []).append(pending.id)
        for lease, ids in by_lease.items():
            await self._store.release(ids, lease)

    def _pace(self, platform: str) -> Pace:
        return self._pacer.pace(platform)

    async def _wait_turn(self, alert: Alert) -> None:
        await self._pacer.wait_turn(alert)

    async def _channel(
        self,
        bundles: list[list[PendingAlert]],
        semaphore: asyncio.Semaphore,
        run: _Run,
        attempted: set[int],
    ) -> None:
        tally, stopped = run.tally, run.stopped
        async with semaphore:
            for bundle in bundles:
                if self._stopping.is_set():
                    return
                await self._wait_turn(bundle[0].alert)
                # the other channels take their turns before this send's claim is queued, so
                # that the claims of one moment are written together (ClaimQueue)
                await asyncio.sleep(0)
                if self._stopping.is_set():
                    return
                attempted.update(p.id for p in bundle)
                if len(bundle) > 1:
                    outcome = await self._deliver_bundle(bundle, tally)
                else:
                    outcome = await self._deliver(bundle[0], tally)
                if outcome is Outcome.STOP:
                    stopped.add(_channel_of(bundle[0]))
                    return

    def _bundles(self, items: list[PendingAlert]) -> list[list[PendingAlert]]:
        """A channel's alerts of one week as one message where the platform allows it; an
        alert whose send may have happened (a crash) goes alone, checked first."""
        adapter = self._adapters.get(items[0].alert.platform) if items else None
        limit = cast(BundleSender, adapter).bundle_limit if plays(adapter, BundleSender) else 1
        bundles: list[list[PendingAlert]] = []
        for pending in items:
            last = bundles[-1] if bundles else None
            if (
                last is not None
                and len(last) < limit
                and not pending.maybe_sent
                and not last[0].maybe_sent
                and last[0].alert.week == pending.alert.week
            ):
                last.append(pending)
            else:
                bundles.append([pending])
        return bundles


def _whole_channels(batch: list[PendingAlert]) -> tuple[list[PendingAlert], list[PendingAlert]]:
    """A full claim may have cut its last channel (the one whose oldest alert is newest)
    short: that channel is held back, to go whole with the next claim. Sent now, its rest would
    wait a whole channel interval in the next batch, and hold that batch up."""
    firsts: dict[tuple[str, str], int] = {}
    for pending in batch:
        key = _channel_of(pending)
        firsts[key] = min(firsts.get(key, pending.id), pending.id)
    if len(firsts) < 2:
        return batch, []
    last = max(firsts, key=lambda key: firsts[key])
    cut = [p for p in batch if _channel_of(p) == last]
    if len(cut) >= PER_CHANNEL:
        return batch, []  # a full share: the claim did not cut it
    return [p for p in batch if _channel_of(p) != last], cut


def _channel_of(pending: PendingAlert) -> tuple[str, str]:
    return (pending.alert.platform, pending.alert.channel_id)
