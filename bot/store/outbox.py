"""The alert outbox: queue once per unique key, lease due alerts to one worker at a time, and
record each outcome only while the lease is still the caller's (fencing).

Leases are short: a worker that dies loses its alerts to the next claim once `lease_until` passes.
`claimed_at` marks a send that started (set per alert, just before the send), so an alert whose
worker died mid-send is checked with the platform instead of being posted again.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cards import Card
from bot.models import Alert, PendingAlert
from bot.store.charts import key_of
from bot.store.database import Database, execute, in_batches, sql

Leased = tuple[int, str | None]  # an outbox row's id and the lease token it was claimed under

_ALERT = (
    "id, platform, server_id, channel_id, service, region, category, language, week, title, "
    "kind, card, attempts, claimed_at"
)
_QUEUED = (
    "platform", "server_id", "channel_id", "service", "region", "category", "language", "week",
    "title", "kind", "card", "next_attempt_at", "created_at",
)  # fmt: skip


class Outbox:
    """The outbox part of Store."""

    _db: Database
    _claim_queue: ClaimQueue  # made by Store.__init__ around claim_many

    async def enqueue(self, alerts: Iterable[Alert], now: datetime) -> int:
        """Queue alerts; an alert already queued or sent (same unique key) is ignored."""
        # a weekly fan-out writes one row per channel and event (300k at 100k channels) but
        # only a few dozen distinct cards and weeks: each is serialised once
        cards: dict[int, str] = {}
        weeks: dict[date, str] = {}
        stamp = now.isoformat()
        rows = []
        for a in alerts:
            key, card = a.key, cards.get(id(a.card))
            if card is None:
                card = cards[id(a.card)] = json.dumps(a.card.to_dict())
            week = weeks.get(a.week) or weeks.setdefault(a.week, a.week.isoformat())
            rows.append(
                (a.platform, a.server_id, a.channel_id, key.service, key.region, key.category,
                 key.language, week, a.title, a.kind, card, stamp, stamp)
            )  # fmt: skip
        if not rows:
            return 0
        async with self._db.writing() as conn:
            added = await self._db.dialect.insert_ignore_many(conn, "outbox", _QUEUED, rows)
            if added:
                await self._db.dialect.notify_outbox(conn)
        if added:
            self._db.outbox_changed()
        return added

    async def due(self, now: datetime, limit: int = 500) -> list[PendingAlert]:
        """Pending alerts whose next attempt is due, oldest first (a look, not a claim)."""
        rows = await self._db.all(
            f"SELECT {_ALERT} FROM outbox WHERE state = 'pending' AND next_attempt_at <= :now "
            "ORDER BY id LIMIT :limit",
            {"now": now.isoformat(), "limit": limit},
        )
        return [_pending(r) for r in rows]

    async def claim_due(
        self,
        platforms: Sequence[str],
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 500,
        per_channel: int = 5,
    ) -> list[PendingAlert]:
        """Lease due alerts of `platforms` to the caller: at most `per_channel` per channel,
        channels taking turns, oldest first within a channel. Another worker's live lease is
        skipped (SKIP LOCKED on PostgreSQL); an expired one is taken over."""
        if not platforms:
            return []
        token = secrets.token_hex(8)
        params = {
            "token": token,
            "until": (now + lease).isoformat(),
            "now": now.isoformat(),
            "platforms": list(platforms),
            "per_channel": per_channel,
            "limit": limit,
        }
        async with self._db.writing() as conn:
            result = await conn.execute(
                sql(self._db.dialect.claim_outbox(), ("platforms",)), params
            )
            rows = result.all()
        cards: dict[str, Card] = {}  # a fan-out's rows share a few cards: each is read once
        found = [_pending(r, token, cards) for r in rows]
        found.sort(key=lambda p: p.id)
        return found

    async def next_due(self) -> datetime | None:
        value = await self._db.scalar(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        )
        return datetime.fromisoformat(value) if value else None

    async def claim(self, alert_id: int, now: datetime, lease: str | None = None) -> bool:
        """Note that a send is about to start: after a crash, the alert may already be out.
        With a lease token, only while the lease is still ours (False: do not send). Claims
        asked for while another is being written are written together (ClaimQueue)."""
        return alert_id in await self._claim_queue.claim(((alert_id, lease),), now)

    async def claim_together(self, alerts: Sequence[Leased], now: datetime) -> set[int]:
        """`claim` for the alerts of one message, each (id, its lease token); returns the ids
        claimed."""
        return await self._claim_queue.claim(alerts, now)

    async def claim_many(
        self, alert_ids: Sequence[int], now: datetime, lease: str | None = None
    ) -> set[int]:
        """`claim` for several alerts in one transaction; returns the ids claimed."""
        if not alert_ids:
            return set()
        async with self._db.writing() as conn:
            return await _claim_rows(conn, alert_ids, now, lease)

    async def mark_sent_many(
        self, alert_ids: Sequence[int], now: datetime, lease: str | None = None
    ) -> int:
        """Record deliveries (only rows whose lease is still `lease`, when given)."""
        if not alert_ids:
            return 0
        done = 0
        async with self._db.writing() as conn:
            for ids in in_batches(alert_ids):
                done += await execute(
                    conn,
                    "UPDATE outbox SET state = 'sent', sent_at = :now, attempts = attempts + 1, "
                    "lease_token = NULL, lease_until = NULL WHERE id IN :ids" + _fence(lease),
                    {"now": now.isoformat(), "ids": ids, "lease": lease},
                    expanding=("ids",),
                )
        return done

    async def mark_retry(
        self,
        alert_id: int,
        next_attempt: datetime,
        error: str,
        *,
        delivered_maybe: bool,
        lease: str | None = None,
    ) -> None:
        """Try again later. `delivered_maybe` keeps the claim: after a timeout or a 5xx the
        message may have gone out, so the next attempt checks before posting again."""
        await self._db.run(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, "
            "last_error = :error, lease_token = NULL, lease_until = NULL, "
            "claimed_at = CASE WHEN :maybe = 1 THEN claimed_at END WHERE id = :id"
            + _fence(lease),
            {"next": next_attempt.isoformat(), "error": error, "maybe": int(delivered_maybe),
             "id": alert_id, "lease": lease},
        )  # fmt: skip

    async def mark_failed(self, alert_id: int, error: str, lease: str | None = None) -> None:
        await self._db.run(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = :error, "
            "lease_token = NULL, lease_until = NULL WHERE id = :id" + _fence(lease),
            {"error": error, "id": alert_id, "lease": lease},
        )

    async def release(self, alert_ids: Sequence[int], lease: str) -> None:
        """Give leased alerts back unsent (stopping), so another worker may take them at once."""
        if not alert_ids:
            return
        async with self._db.writing() as conn:
            for ids in in_batches(alert_ids):
                await execute(
                    conn,
                    "UPDATE outbox SET lease_token = NULL, lease_until = NULL "
                    "WHERE id IN :ids AND lease_token = :lease",
                    {"ids": ids, "lease": lease},
                    expanding=("ids",),
                )

    async def clear_leases(self) -> int:
        """Every lease ends (a process that knows it is alone: its predecessor's are stale)."""
        return await self._db.run(
            "UPDATE outbox SET lease_token = NULL, lease_until = NULL "
            "WHERE lease_token IS NOT NULL AND state = 'pending'"
        )

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._db.all("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    async def prune_outbox(self, before: datetime) -> int:
        return await self._db.run(
            "DELETE FROM outbox WHERE state != 'pending' AND created_at < :before",
            {"before": before.isoformat()},
        )


class ClaimQueue:
    """Group commit for claims: every send is claimed durably before it starts, and with many
    channels sending at once (64 on Discord) one transaction per claim would serialise them on
    the database's write lock. Claims that arrive while a write is under way wait for the next
    write and go in it together; each caller still learns its own row's answer."""

    def __init__(
        self, write: Callable[[Sequence[int], datetime, str | None], Awaitable[set[int]]]
    ) -> None:
        self._write = write
        self._waiting: list[tuple[Sequence[Leased], datetime, asyncio.Future[set[int]]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, alerts: Sequence[Leased], now: datetime) -> set[int]:
        """The ids of `alerts` (id, lease token) claimed, in the next write."""
        future: asyncio.Future[set[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append((alerts, now, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="outbox-claims")
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # the other senders of this moment join the first write
        while self._waiting:
            batch, self._waiting = self._waiting, []
            by_lease: dict[str | None, list[int]] = {}
            for alerts, _now, _future in batch:
                for alert_id, lease in alerts:
                    by_lease.setdefault(lease, []).append(alert_id)
            now = max(when for _alerts, when, _future in batch)
            claimed: set[int] = set()
            written: set[str | None] = set()
            try:
                for lease, ids in by_lease.items():
                    claimed |= await self._write(ids, now, lease)
                    written.add(lease)
                    # a caller whose leases are all written hears at once
                    for alerts, _now, future in batch:
                        if not future.done() and all(held in written for _i, held in alerts):
                            future.set_result({alert_id for alert_id, _l in alerts} & claimed)
            except BaseException as exc:
                # each caller hears of the failure (a cancelled writer: of the cancellation)
                failure = exc if isinstance(exc, Exception) else asyncio.CancelledError()
                for *_rest, future in batch + self._waiting:
                    if not future.done():
                        future.set_exception(failure)
                self._waiting = []
                if not isinstance(exc, Exception):
                    raise
                return


async def _claim_rows(
    conn: AsyncConnection, alert_ids: Sequence[int], now: datetime, lease: str | None
) -> set[int]:
    claimed: set[int] = set()
    for ids in in_batches(alert_ids):
        result = await conn.execute(
            sql(
                "UPDATE outbox SET claimed_at = :now WHERE id IN :ids AND state = 'pending'"
                + _fence(lease)
                + " RETURNING id",
                ("ids",),
            ),
            {"now": now.isoformat(), "ids": ids, "lease": lease},
        )
        claimed.update(int(r[0]) for r in result)
    return claimed


def _fence(lease: str | None) -> str:
    return " AND lease_token = :lease" if lease is not None else ""


def _pending(
    r: Any, lease: str | None = None, cards: dict[str, Card] | None = None
) -> PendingAlert:
    card = cards.get(r[11]) if cards is not None else None
    if card is None:
        card = Card.from_dict(json.loads(r[11]))
        if cards is not None:
            cards[r[11]] = card
    return PendingAlert(
        r[0],
        Alert(
            r[1],
            r[2],
            r[3],
            key_of(r[5], r[6], r[7], r[4]),
            date.fromisoformat(r[8]),
            r[9],
            r[10],
            card,
        ),
        r[12],
        r[13] is not None,
        lease,
    )
