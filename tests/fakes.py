"""Plain test doubles (no inheritance, no mocks): a settable clock and a recording chat adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.cards import Card
from bot.errors import DeliveryError


class FakeClock:
    """A clock tests move by hand; never sleeps."""

    def __init__(self, start: datetime = datetime(2022, 7, 5, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class RecordingAdapter:
    """A ChatAdapter that records what it was asked to send and can fail on cue."""

    platform: str = "test"
    sent: list[tuple[str, Card, str]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)  # raised in order, one per send

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((channel_id, card, dedupe_key))


class FakeSleep:
    """An `asyncio.sleep` stand-in that moves a fake monotonic clock instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
