"""How the Discord adapter opens the gateway: how many shards (GET /gateway/bot unless configured),
identifies paced per `max_concurrency` bucket, how long readiness may take, and a count of the
401/403/429 answers Discord bans an IP for.

Discord's rules (discord-api-docs topics/gateway and topics/rate-limits): at most 2,500 guilds per
shard (4011 otherwise); one IDENTIFY per 5 s in each bucket `shard_id % max_concurrency`; 10,000
invalid requests (401, 403, 429 except `X-RateLimit-Scope: shared`) in 10 minutes ban the IP.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

IDENTIFY_INTERVAL = 5.0
IDENTIFY_PACE = "discord-identify:{bucket}"  # one pace per max_concurrency bucket, shared
INVALID_LIMIT = 10_000
INVALID_WINDOW = 600.0
PAUSE_AT = 0.8  # pause sends at 80 % of the ban's count, leaving room for commands and retries


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """The shards this process runs, out of `shard_count`, and Discord's identify concurrency."""

    shard_count: int
    shard_ids: tuple[int, ...]
    max_concurrency: int = 1

    @classmethod
    def decide(
        cls,
        recommended: int,
        max_concurrency: int,
        configured_count: int | None,
        configured_ids: Sequence[int] | None,
    ) -> ShardPlan:
        """A configured count (and shard ids) wins; otherwise Discord's recommendation."""
        count = configured_count or max(1, recommended)
        ids = tuple(configured_ids) if configured_ids else tuple(range(count))
        return cls(count, ids, max(1, max_concurrency))

    def ready_timeout(self, base: float, interval: float = IDENTIFY_INTERVAL) -> float:
        """`base` plus the identify rounds the shards need: ceil(shards / max_concurrency)."""
        rounds = math.ceil(len(self.shard_ids) / self.max_concurrency)
        return base + interval * rounds


class IdentifyGate:
    """Holds each IDENTIFY until its bucket's previous one is `interval` seconds old."""

    def __init__(
        self,
        max_concurrency: int = 1,
        interval: float = IDENTIFY_INTERVAL,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self._interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[int, float] = {}

    async def wait(self, shard_id: int | None) -> None:
        bucket = (shard_id or 0) % self.max_concurrency
        now = self._monotonic()
        start = max(now, self._next.get(bucket, now))
        self._next[bucket] = start + self._interval  # reserved before the await: no race
        if start > now:
            await self._sleep(start - now)


class InvalidRequestGuard:
    """Counts the answers Discord's IP ban counts and says how long sends should pause."""

    def __init__(
        self,
        limit: int = INVALID_LIMIT,
        window: float = INVALID_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = max(1, int(limit * PAUSE_AT))
        self._window = window
        self._clock = clock
        self._seen: deque[float] = deque()

    def record(self, status: int, scope: str | None = None) -> None:
        if status in (401, 403, 429) and scope != "shared":
            self._seen.append(self._clock())

    def pause(self) -> float:
        """Seconds until the count falls below the pause threshold (0 while it is below)."""
        now = self._clock()
        while self._seen and self._seen[0] <= now - self._window:
            self._seen.popleft()
        over = len(self._seen) - self._threshold
        if over < 0:
            return 0.0
        return self._seen[over] + self._window - now

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace that records every answer discord.py's session receives."""

        async def on_end(_: Any, __: SimpleNamespace, params: Any) -> None:
            response = params.response
            self.record(response.status, response.headers.get("X-RateLimit-Scope"))

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(on_end)
        return trace
