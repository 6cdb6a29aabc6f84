"""One send's outcome: claimed, posted, then recorded, retried later, failed or its channel paused.

A mixin of Notifier (bot/notify.py), which leases the batches and paces the sends. Sent rows are
recorded in batches in the background; every other outcome is written at once, fenced by the lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, cast

from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError
from bot.languages import for_channel
from bot.metrics import Metrics
from bot.models import Alert, PendingAlert
from bot.protocols import AdminNotifier, BundleSender, ChatAdapter, SentLookup, ServerSender
from bot.store import Store
from bot.words.i18n import speaking
from bot.words.settings import disabled_notice

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
SENT_BATCH = 250  # a record every half claim: recorded in the background, checked after a crash


class Outcome(Enum):
    """What a send means for the rest of its channel."""

    SENT = "sent"
    RETRY = "retry"  # this alert later; the channel may continue
    STOP = "stop"  # rate limited or gone: leave the rest of this channel for later


@dataclass(slots=True)
class Tally:
    """A drain's counts so far."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    disabled: list[tuple[str, str]] = field(default_factory=list)


def dedupe_key(pending: PendingAlert) -> str:
    """Stable per outbox row; Discord's nonce is limited to 25 characters."""
    return f"tb{pending.id}"


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (1 << min(max(0, attempts), 16)))


class Sends:
    """Notifier's sends and their outcomes."""

    _store: Store
    _adapters: Mapping[str, ChatAdapter]
    _clock: Callable[[], datetime]
    _max_attempts: int
    _metrics: Metrics
    _sent_ids: list[tuple[int, str | None]]
    _recording: set[asyncio.Task[None]]

    async def _delivered(self, pending: PendingAlert) -> None:
        # recorded in batches: a crash before the batch is written leaves the rows claimed, and
        # claimed rows are checked with the platform, not posted again. Written in the
        # background: no send waits for it (the batch's end does)
        self._sent_ids.append((pending.id, pending.lease))
        if len(self._sent_ids) >= SENT_BATCH:
            done, self._sent_ids = self._sent_ids, []
            task = asyncio.get_running_loop().create_task(self._record_sent(done))
            self._recording.add(task)
            task.add_done_callback(self._recording.discard)

    async def _record_all(self) -> None:
        """Wait for the records under way, then record the rest."""
        try:
            await asyncio.gather(*self._recording)
        finally:
            done, self._sent_ids = self._sent_ids, []
            await self._record_sent(done)

    async def _record_sent(self, done: list[tuple[int, str | None]]) -> None:
        by_lease: dict[str | None, list[int]] = {}
        for alert_id, lease in done:
            by_lease.setdefault(lease, []).append(alert_id)
        for lease, ids in by_lease.items():
            recorded = await self._store.mark_sent_many(ids, self._clock(), lease)
            if recorded < len(ids):
                log.warning(
                    "%d delivered alerts were leased to another worker meanwhile (lease expired)",
                    len(ids) - recorded,
                )

    async def _deliver(self, pending: PendingAlert, tally: Tally) -> Outcome:
        alert = pending.alert
        adapter = self._adapters[alert.platform]
        key = dedupe_key(pending)
        metrics = self._metrics
        try:
            if pending.maybe_sent and isinstance(adapter, SentLookup):
                if await adapter.was_sent(alert.channel_id, key, alert.card):
                    log.info("alert %d had already gone out; not sending it again", pending.id)
                    await self._delivered(pending)
                    tally.sent += 1
                    metrics.alerts_sent.labels(alert.platform).inc()
                    return Outcome.SENT
            if not await self._store.claim(pending.id, self._clock(), pending.lease):
                log.warning(
                    "alert %d: lease lost before its send; another worker has it", pending.id
                )
                return Outcome.RETRY
            if plays(adapter, ServerSender):
                await cast(ServerSender, adapter).send_to(
                    alert.server_id, alert.channel_id, alert.card, key
                )
            else:
                await adapter.send(alert.channel_id, alert.card, key)
        except RateLimited as exc:
            metrics.send_errors.labels(alert.platform, "rate_limited").inc()
            tally.retried += 1
            when = self._clock() + timedelta(seconds=exc.retry_after)
            # a 429 means nothing was posted: the next attempt need not check
            await self._store.mark_retry(
                pending.id, when, f"rate limited: {exc}", delivered_maybe=False, lease=pending.lease
            )
            return Outcome.STOP
        except ChannelUnavailable as exc:
            metrics.send_errors.labels(alert.platform, "channel").inc()
            metrics.alerts_failed.labels(alert.platform).inc()
            tally.failed += 1
            tally.disabled.append((alert.platform, alert.channel_id))
            await self._disable(adapter, alert, str(exc))
            return Outcome.STOP
        except (TransientDeliveryError, TimeoutError, OSError) as exc:
            metrics.send_errors.labels(alert.platform, "transient").inc()
            tally.retried += 1
            await self._retry_or_fail(pending, f"{type(exc).__name__}: {exc}")
            return Outcome.RETRY
        except Exception as exc:  # an adapter bug must not stop the other deliveries
            log.exception("unexpected error delivering alert %d", pending.id)
            metrics.send_errors.labels(alert.platform, "unexpected").inc()
            tally.retried += 1
            await self._retry_or_fail(pending, f"{type(exc).__name__}: {exc}")
            return Outcome.RETRY
        tally.sent += 1
        metrics.alerts_sent.labels(alert.platform).inc()
        metrics.messages_sent.labels(alert.platform).inc()
        await self._delivered(pending)
        return Outcome.SENT

    async def _deliver_bundle(self, bundle: list[PendingAlert], tally: Tally) -> Outcome:
        """Several alerts to one channel as one message; every outcome applies to them all."""
        first = bundle[0].alert
        adapter = self._adapters[first.platform]
        assert plays(adapter, BundleSender)
        metrics = self._metrics
        # one lease, unless a channel held back joined the next claim
        mine = await self._store.claim_together([(p.id, p.lease) for p in bundle], self._clock())
        claimed = []
        for pending in bundle:
            if pending.id in mine:
                claimed.append(pending)
            else:
                log.warning("alert %d: lease lost before its send; another worker has it",
                            pending.id)  # fmt: skip
        if not claimed:
            return Outcome.RETRY
        try:
            await cast(BundleSender, adapter).send_bundle(
                first.server_id, first.channel_id, [p.alert.card for p in claimed],
                [dedupe_key(p) for p in claimed],
            )  # fmt: skip
        except RateLimited as exc:
            metrics.send_errors.labels(first.platform, "rate_limited").inc()
            tally.retried += len(claimed)
            when = self._clock() + timedelta(seconds=exc.retry_after)
            for pending in claimed:
                await self._store.mark_retry(
                    pending.id, when, f"rate limited: {exc}", delivered_maybe=False,
                    lease=pending.lease,
                )  # fmt: skip
            return Outcome.STOP
        except ChannelUnavailable as exc:
            metrics.send_errors.labels(first.platform, "channel").inc()
            metrics.alerts_failed.labels(first.platform).inc(len(claimed))
            tally.failed += len(claimed)
            tally.disabled.append((first.platform, first.channel_id))
            await self._disable(adapter, first, str(exc))
            return Outcome.STOP
        except Exception as exc:  # transient, or an adapter bug: retry each later, checked
            if not isinstance(exc, TransientDeliveryError | TimeoutError | OSError):
                log.exception("unexpected error delivering alerts %s", [p.id for p in claimed])
            metrics.send_errors.labels(first.platform, "transient").inc()
            tally.retried += len(claimed)
            for pending in claimed:
                await self._retry_or_fail(pending, f"{type(exc).__name__}: {exc}")
            return Outcome.RETRY
        tally.sent += len(claimed)
        metrics.alerts_sent.labels(first.platform).inc(len(claimed))
        metrics.messages_sent.labels(first.platform).inc()
        for pending in claimed:
            await self._delivered(pending)
        return Outcome.SENT

    async def _disable(self, adapter: ChatAdapter, alert: Alert, reason: str) -> None:
        servers = await self._store.disable_channel(
            alert.platform, alert.channel_id, reason, self._clock()
        )
        log.warning(
            "%s channel %s refused alerts (%s); alerts paused for servers %s",
            alert.platform, alert.channel_id, reason, servers,
        )  # fmt: skip
        if not isinstance(adapter, AdminNotifier):
            return
        for server_id in servers:  # only servers newly disabled: admins hear about it once
            known = await self._store.server_languages(alert.platform, server_id)
            with speaking(for_channel(*(known or ("", "")))):
                notice = disabled_notice(alert.channel_id, reason, alert.platform)
            try:
                await adapter.notify_admins(server_id, notice)
            except Exception:  # telling admins is best effort; the reason is in /config show
                log.warning("could not tell %s server %s's admins", alert.platform, server_id)

    async def _retry_or_fail(self, pending: PendingAlert, error: str) -> None:
        if pending.attempts + 1 >= self._max_attempts:
            tries = pending.attempts + 1
            log.error("alert %d failed %d times; giving up: %s", pending.id, tries, error)
            self._metrics.alerts_failed.labels(pending.alert.platform).inc()
            await self._store.mark_failed(pending.id, error, pending.lease)
        else:
            when = self._clock() + backoff(pending.attempts)
            await self._store.mark_retry(
                pending.id, when, error, delivered_maybe=True, lease=pending.lease
            )


_ROLES: dict[tuple[type, Any], bool] = {}


def plays(adapter: object, role: Any) -> bool:
    """isinstance against a runtime-checkable protocol, known per adapter class after the first
    time (a protocol check walks the protocol's members: twice per send added up)."""
    key = (type(adapter), role)
    found = _ROLES.get(key)
    if found is None:
        found = _ROLES[key] = isinstance(adapter, role)
    return found
