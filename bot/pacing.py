"""How fast alerts may be posted: each platform's rate (or each workspace's) and each channel's
interval, kept as reserved start times so that concurrent senders never race for a slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.models import Alert


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast one platform may be posted to."""

    per_second: float  # across the whole platform (or per server, see below)
    channel_interval: float  # seconds between two posts to one channel
    concurrency: int  # channels worked on at once
    per_server: bool = False  # the rate applies per workspace, not per platform (Slack)
    one_sender: bool = False  # one process at a time sends for this platform (its global rate)


# Discord allows ~50 requests/s per bot and ~5 messages per 5 s per channel; Slack's
# chat.postMessage about 1 per second per channel. We stay a little under both.
PACES: dict[str, Pace] = {
    "discord": Pace(per_second=45.0, channel_interval=1.0, concurrency=64, one_sender=True),
    "slack": Pace(per_second=20.0, channel_interval=1.1, concurrency=32, per_server=True),
}
DEFAULT_PACE = Pace(per_second=50.0, channel_interval=0.0, concurrency=16)


@dataclass(slots=True)
class Gate:
    """The earliest monotonic time the next call may start; calls are `interval` apart."""

    interval: float
    next_free: float = 0.0


class Pacer:
    """The gates of one sender: a platform's (or workspace's) and each channel's."""

    def __init__(
        self,
        paces: Mapping[str, Pace] = PACES,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._paces = paces
        self._sleep = sleep
        self._monotonic = monotonic
        self._platform: dict[tuple[str, str], Gate] = {}
        self._channel: dict[tuple[str, str], Gate] = {}

    def pace(self, platform: str) -> Pace:
        return self._paces.get(platform, DEFAULT_PACE)

    async def wait_turn(self, alert: Alert) -> None:
        """Wait until `alert` may be posted: its channel's turn, then its platform's."""
        pace = self.pace(alert.platform)
        scope = alert.server_id if pace.per_server else ""
        platform_gate = self._platform.setdefault(
            (alert.platform, scope), Gate(1 / pace.per_second)
        )
        channel_gate = self._channel.setdefault(
            (alert.platform, alert.channel_id), Gate(pace.channel_interval)
        )
        # the channel's own turn first, then the platform's: a platform slot reserved at a busy
        # channel's time would hold every other channel behind it (1 s stalls per fan-out batch)
        now = self._monotonic()
        turn = max(now, channel_gate.next_free)
        channel_gate.next_free = turn + channel_gate.interval  # reserved before the await
        if turn > now:
            await self._sleep(turn - now)
        now = self._monotonic()
        start = max(now, platform_gate.next_free)
        platform_gate.next_free = start + platform_gate.interval
        channel_gate.next_free = max(channel_gate.next_free, start + channel_gate.interval)
        if start > now:
            await self._sleep(start - now)
