"""What the chat adapters keep in the shared database besides answers: which server a channel
or id belongs to, events already handled, turns taken on a pace shared by processes, and Slack
installs. One narrow seam, so adapters never reach into the Store (and its SQL) themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.models import ServerSettings
from bot.store import Store
from bot.store.installs import Installs


class Desk:
    """The adapters' view of shared state; Core makes one over its Store."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    @property
    def installs(self) -> Installs:
        """Slack installations and OAuth states (slack_sdk's store interfaces map onto these)."""
        return self._store

    async def server(self, platform: str, server_id: str) -> ServerSettings | None:
        return await self._store.server(platform, server_id)

    async def server_of_channel(self, platform: str, channel_id: str) -> str | None:
        return await self._store.server_of_channel(platform, channel_id)

    async def server_ids(self, platform: str) -> list[str]:
        return [s.server_id for s in await self._store.servers(platform)]

    async def first_time(self, namespace: str, key: str, keep: timedelta) -> bool:
        """True the first time any process sees `key` (a Slack event id) within `keep`."""
        return await self._store.first_sighting(namespace, key, self._clock(), keep)

    async def wait_for_turn(self, pace: str, interval: float) -> float:
        """Reserve the next turn on `pace` (one per `interval` seconds, every process on this
        database counted); returns the seconds to wait before taking it."""
        now = self._clock().timestamp()
        start = await self._store.reserve_slot(pace, now, interval)
        return max(0.0, start - now)
