"""bot.recent: reads reused for a few seconds, forgotten on a local change, bounded in size."""

from __future__ import annotations

import pytest

import bot.recent
from bot.recent import Recent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_read_is_reused_until_its_time_is_up_or_it_is_forgotten() -> None:
    clock = Clock()
    reads: list[str] = []

    async def read() -> str:
        reads.append("read")
        return f"value {len(reads)}"

    recent: Recent[str, str] = Recent(remember=30.0, monotonic=clock)
    assert await recent.get("k", read) == "value 1"
    clock.now = 29.9
    assert await recent.get("k", read) == "value 1"  # another process's change may wait 30 s
    clock.now = 30.0
    assert await recent.get("k", read) == "value 2"
    recent.forget("k")  # a change made here shows at once
    assert await recent.get("k", read) == "value 3"
    recent.clear()
    assert await recent.get("k", read) == "value 4"


async def test_it_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.recent, "LIMIT", 3)
    clock = Clock()
    recent: Recent[int, int] = Recent(remember=10.0, monotonic=clock)

    async def value_of(n: int) -> int:
        return n

    for n in range(3):
        await recent.get(n, lambda n=n: value_of(n))  # type: ignore[misc]
    clock.now = 5.0
    await recent.get(3, lambda: value_of(3))  # full and nothing expired: everything goes
    assert len(recent._kept) == 1
    clock.now = 12.0
    for n in (4, 5):
        await recent.get(n, lambda n=n: value_of(n))  # type: ignore[misc]
    clock.now = 16.0
    await recent.get(6, lambda: value_of(6))  # the expired entry (3) goes first
    assert set(recent._kept) == {4, 5, 6}
