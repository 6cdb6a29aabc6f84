"""Recently read rows kept for a few seconds: a server's settings, the newest week of a list.

Every chat answer needs both and both change rarely (an admin's edit, a weekly chart), while
reading them cost more than the answer itself. Changes made in this process are forgotten at
once; another process's show within REMEMBER seconds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

REMEMBER = 30.0  # seconds a read is reused
LIMIT = 10_000  # entries kept at most (expired ones go first, then everything)


class Recent(Generic[K, V]):
    """A read-through cache with a time limit and a size bound."""

    def __init__(
        self, remember: float = REMEMBER, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._remember = remember
        self._monotonic = monotonic
        self._kept: dict[K, tuple[float, V]] = {}

    async def get(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The value read for `key` within the time limit, else `read()`'s (then kept)."""
        now = self._monotonic()
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        value = await read()
        if len(self._kept) >= LIMIT:
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            if len(self._kept) >= LIMIT:
                self._kept.clear()
        self._kept[key] = (now + self._remember, value)
        return value

    def forget(self, key: K) -> None:
        self._kept.pop(key, None)

    def clear(self) -> None:
        self._kept.clear()
