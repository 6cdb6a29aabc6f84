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
FIRST_CLAIM = 150  # the first sends start sooner after a small claim; each next is twice the last
PER_CHANNEL = 10  # alerts of one channel per claim: others get their turn in the same batch
# the next claim is made while this many channels still wait for their turn, so that sending
# never stops for a claim (between batches, a fan-out used to stand still a tenth of the time)
LOOKAHEAD = 64
SENDER_LOCK = "sender:{platform}"


@dataclass(frozen=True, slots=True)
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    disabled_channels: tuple[tuple[str, str], ...] = ()  # (platform, channel)


@dataclass(slots=True)
class _Run:
    """One drain's state: its counts, and the channels whose sends are under way."""

    tally: Tally = field(default_factory=Tally)
    stopped: set[tuple[str, str]] = field(default_factory=set)  # rate-limited or gone: later
    attempted: set[int] = field(default_factory=set)  # alerts whose send began (not given back)
    semaphores: dict[str, asyncio.Semaphore] = field(default_factory=dict)  # per platform
    channels: dict[tuple[str, str], asyncio.Task[None]] = field(default_factory=dict)  # latest
    waiting: int = 0  # channels queued whose sends have not begun
    room: asyncio.Event = field(default_factory=asyncio.Event)  # few enough wait: claim more
    # the first send of a drain is not held behind the next claim's write
    first_done: asyncio.Event = field(default_factory=asyncio.Event)

    def began(self) -> None:
        self.waiting -= 1
        if self.waiting <= LOOKAHEAD:
            self.room.set()


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
        within each platform's pace; alerts of platforms not sending here stay queued. The next
        batch is claimed while the last one's channels are still sending."""
        async with self._lock:  # the scheduler and a refresh may both ask; one drain at a time
            run = _Run()
            platforms = await self._sending_platforms()
            handled = 0
            held: list[PendingAlert] = []  # a channel cut short by a full claim, to come whole
            claimed: list[PendingAlert] = []
            batch: list[PendingAlert] = []
            try:
                while handled < limit and platforms and not self._stopping.is_set():
                    size = min(CLAIM_BATCH, max(FIRST_CLAIM, 2 * len(batch)))
                    batch, held = await self._claim(platforms, min(size, limit - handled), held)
                    if not batch:
                        break
                    claimed += batch
                    handled += len(batch)
                    self._start(batch, run)
                    run.room.clear()
                    if run.waiting > LOOKAHEAD:
                        await run.room.wait()
                    await run.first_done.wait()
            finally:
                try:  # every channel finishes before anything is given back
                    ends = await asyncio.gather(*run.channels.values(), return_exceptions=True)
                finally:
                    await self._record_all()
                    # unsent leased alerts go back to the queue at once (stopping, or paused)
                    await self._give_back([p for p in claimed + held if p.id not in run.attempted])
            for end in ends:
                if isinstance(end, BaseException):
                    raise end
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

    def _start(self, batch: list[PendingAlert], run: _Run) -> None:
        """Each channel of a claimed batch sends in its own task, after the same channel's sends
        of earlier batches (its alerts go in order), at most a platform's concurrency at once."""
        groups: dict[tuple[str, str], list[PendingAlert]] = {}
        for pending in batch:
            groups.setdefault(_channel_of(pending), []).append(pending)
        loop = asyncio.get_running_loop()
        for key, items in groups.items():
            semaphore = run.semaphores.get(key[0])
            if semaphore is None:
                semaphore = run.semaphores[key[0]] = asyncio.Semaphore(
                    self._pace(key[0]).concurrency
                )
            run.waiting += 1
            after = run.channels.get(key)
            run.channels[key] = loop.create_task(
                self._channel(key, self._bundles(items), after, semaphore, run)
            )

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
        key: tuple[str, str],
        bundles: list[list[PendingAlert]],
        after: asyncio.Task[None] | None,
        semaphore: asyncio.Semaphore,
        run: _Run,
    ) -> None:
        began = False
        try:
            if after is not None:
                await asyncio.wait((after,))
            async with semaphore:
                began = True
                run.began()
                await self._channel_sends(key, bundles, run)
        finally:
            if not began:
                run.began()
            run.first_done.set()

    async def _channel_sends(
        self, key: tuple[str, str], bundles: list[list[PendingAlert]], run: _Run
    ) -> None:
        tally, stopped = run.tally, run.stopped
        for bundle in bundles:
            if self._stopping.is_set() or key in stopped:
                return
            await self._wait_turn(bundle[0].alert)
            # the other channels take their turns before this send's claim is queued, so
            # that the claims of one moment are written together (ClaimQueue)
            await asyncio.sleep(0)
            if self._stopping.is_set():
                return
            run.attempted.update(p.id for p in bundle)
            if len(bundle) > 1:
                outcome = await self._deliver_bundle(bundle, tally)
            else:
                outcome = await self._deliver(bundle[0], tally)
            run.first_done.set()
            if outcome is Outcome.STOP:
                stopped.add(key)
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
