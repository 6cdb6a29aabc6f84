"""Alert delivery: plan alerts for subscribed channels, queue them in the outbox, drain it.

The outbox row is written before anything is sent and has a UNIQUE key (platform, channel, list,
week, title, kind), so re-planning a week or restarting after a crash never queues an alert twice.
Delivery failures follow DESIGN §4: 429 → wait Retry-After; 5xx/timeouts → back off and retry;
403/404 (channel gone, no permission) → disable that server's alerts with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot import render
from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError
from bot.models import Alert, ChartKey, PendingAlert, ScoredEntry
from bot.protocols import ChatAdapter
from bot.store import Store, Subscriber

log = logging.getLogger(__name__)

SURPRISE = "surprise"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    disabled_channels: tuple[tuple[str, str], ...] = ()  # (platform, channel)


def plan_alerts(
    week: Mapping[ChartKey, tuple[ScoredEntry, ...]],
    subscribers: Mapping[tuple[str, str], list[Subscriber]],
) -> list[Alert]:
    """One alert per surprising entry × subscribed channel whose threshold and baseline allow it."""
    alerts = []
    for key, entries in week.items():
        for entry in entries:
            if not entry.surprise.alertable:
                continue
            card = None
            for sub in subscribers.get((key.region, key.category), ()):
                if entry.surprise.score < sub.threshold:
                    continue
                if sub.baseline_week is not None and entry.week <= sub.baseline_week:
                    continue  # a new subscription starts from the next week, not a flood
                card = card or render.alert_card(entry)
                alerts.append(
                    Alert(
                        sub.platform,
                        sub.server_id,
                        sub.channel_id,
                        key,
                        entry.week,
                        entry.movement.title,
                        SURPRISE,
                        card,
                    )
                )
    return alerts


def dedupe_key(pending: PendingAlert) -> str:
    """Stable per outbox row; Discord's nonce is limited to 25 characters."""
    return f"tb{pending.id}"


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (1 << min(max(0, attempts), 16)))


class Notifier:
    """Queues alerts and delivers them through whichever adapters are running."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        max_attempts: int = 8,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._max_attempts = max_attempts

    async def enqueue(self, alerts: Iterable[Alert]) -> int:
        return await self._store.enqueue(alerts, self._clock())

    async def subscribers_for(
        self, keys: Iterable[ChartKey]
    ) -> dict[tuple[str, str], list[Subscriber]]:
        found: dict[tuple[str, str], list[Subscriber]] = {}
        for key in keys:
            pair = (key.region, key.category)
            if pair not in found:
                found[pair] = await self._store.subscribers(key.region, key.category)
        return found

    async def queue_week(
        self, week: date, analysis: Mapping[ChartKey, tuple[ScoredEntry, ...]]
    ) -> int:
        subscribers = await self.subscribers_for(analysis)
        return await self.enqueue(plan_alerts(analysis, subscribers))

    async def drain(self) -> DrainReport:
        """Try every due alert once; returns what happened."""
        sent = retried = failed = 0
        disabled: list[tuple[str, str]] = []
        for pending in await self._store.due(self._clock()):
            alert = pending.alert
            if (alert.platform, alert.channel_id) in disabled:
                continue
            adapter = self._adapters.get(alert.platform)
            if adapter is None:
                continue  # that platform is not running in this process; leave it queued
            try:
                await adapter.send(alert.channel_id, alert.card, dedupe_key(pending))
            except RateLimited as exc:
                retried += 1
                when = self._clock() + timedelta(seconds=exc.retry_after)
                await self._store.mark_retry(pending.id, when, f"rate limited: {exc}")
            except ChannelUnavailable as exc:
                failed += 1
                reason = str(exc)
                disabled.append((alert.platform, alert.channel_id))
                servers = await self._store.disable_channel(
                    alert.platform, alert.channel_id, reason, self._clock()
                )
                log.warning(
                    "%s channel %s refused alerts (%s); disabled for servers %s",
                    alert.platform, alert.channel_id, reason, servers,
                )  # fmt: skip
            except (TransientDeliveryError, TimeoutError, OSError) as exc:
                await self._retry_or_fail(pending, f"{type(exc).__name__}: {exc}")
                retried += 1
            except Exception as exc:  # an adapter bug must not stop the other deliveries
                log.exception("unexpected error delivering alert %d", pending.id)
                await self._retry_or_fail(pending, f"{type(exc).__name__}: {exc}")
                retried += 1
            else:
                sent += 1
                await self._store.mark_sent(pending.id, self._clock())
        return DrainReport(sent, retried, failed, tuple(disabled))

    async def _retry_or_fail(self, pending: PendingAlert, error: str) -> None:
        if pending.attempts + 1 >= self._max_attempts:
            log.error(
                "alert %d failed %d times; giving up: %s",
                pending.id,
                pending.attempts + 1,
                error,
            )
            await self._store.mark_failed(pending.id, error)
        else:
            when = self._clock() + backoff(pending.attempts)
            await self._store.mark_retry(pending.id, when, error)
