"""Claims written ahead of the sends they guard: a batch's channels in chunks, one chunk ahead.

Every send is claimed durably before it starts, so that after a crash the alert is checked with
the platform instead of being posted again. One write per send would make each send wait for the
database (and serialise them on SQLite's write lock); one write for a whole batch would leave a
crash hundreds of alerts to check (Slack allows one history read a minute to new apps). Here the
first send of each channel is claimed with its chunk of channels, in the order they will send, and
the next chunk is claimed while this one sends: one write per chunk, off the sends' path, and at
most two chunks claimed but not yet sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.models import PendingAlert

Claim = Callable[[Sequence[int], str | None], Awaitable[set[int]]]


class ClaimsAhead:
    """The claims of one batch's first sends, one per channel in send order."""

    def __init__(self, claim: Claim, firsts: Sequence[Sequence[PendingAlert]], size: int) -> None:
        self._claim = claim
        size = max(1, size)
        self._chunks = [firsts[i : i + size] for i in range(0, len(firsts), size)]
        self._size = size
        self._writes: dict[int, asyncio.Task[set[int]]] = {}
        self.claimed: set[int] = set()  # claimed here: undo these if they go back unsent

    def start(self, chunk: int = 0) -> None:
        """Write the claims of `chunk` (if not under way already)."""
        if chunk < len(self._chunks) and chunk not in self._writes:
            self._writes[chunk] = asyncio.get_running_loop().create_task(self._write(chunk))

    async def mine(self, index: int) -> set[int]:
        """The alerts claimed for the `index`-th channel's chunk (an alert missing from it is
        leased to another worker now); claims the next chunk meanwhile."""
        chunk = index // self._size
        self.start(chunk)
        self.start(chunk + 1)
        return await self._writes[chunk]

    async def settle(self) -> None:
        """Wait for the writes under way (their failures were raised to their senders)."""
        await asyncio.gather(*self._writes.values(), return_exceptions=True)

    async def _write(self, chunk: int) -> set[int]:
        by_lease: dict[str | None, list[int]] = {}
        for bundle in self._chunks[chunk]:
            for pending in bundle:
                if not pending.maybe_sent:  # those are checked and claimed one by one
                    by_lease.setdefault(pending.lease, []).append(pending.id)
        found: set[int] = set()
        for lease, ids in by_lease.items():
            found |= await self._claim(ids, lease)
        self.claimed |= found
        return found
