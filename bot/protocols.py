"""The seams between the core and the outside world, as small Protocols (fakes need not inherit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.cards import Card
from bot.models import Score, Title
from bot.sources.netflix import Fetched


class ChartSource(Protocol):
    """Where weekly Top 10 files come from (Netflix's site, a local file, a test server)."""

    name: str

    async def fetch(self, etag: str | None, last_modified: str | None) -> Fetched:
        """Fetch the file, conditionally; `Fetched.body` is None when unchanged."""
        ...


class ReviewSource(Protocol):
    """A provider of review scores (offline catalog, OMDb, TMDB)."""

    name: str

    async def scores(self, title: Title) -> tuple[Score, ...]:
        """Scores for a title; raises SourceUnavailable when it cannot answer right now."""
        ...


class ChatAdapter(Protocol):
    """A chat platform the core can post to."""

    platform: str

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post a card; raises RateLimited, TransientDeliveryError or ChannelUnavailable.

        `dedupe_key` is stable per alert, so a platform that supports it (Discord's nonce) can drop
        a repeat sent after a crash.
        """
        ...


@runtime_checkable
class BundleSender(Protocol):
    """A platform that posts several alerts as one message (Discord: up to 10 embeds)."""

    bundle_limit: int

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        """Post the cards as one message; raises like ChatAdapter.send. Each card stays
        findable by its own key (SentLookup), so a crash mid-send repeats none of them."""
        ...


@runtime_checkable
class SentLookup(Protocol):
    """A platform that can tell whether an alert already reached a channel (after a crash)."""

    async def was_sent(self, channel_id: str, dedupe_key: str, card: Card) -> bool:
        """True when the alert is there, or when the platform cannot tell (a send whose fate is
        unknown is recorded, not repeated); `card` lets a platform recognise its own message."""
        ...


@runtime_checkable
class AdminNotifier(Protocol):
    """A platform that can tell a server's admins something (owner DM, App Home, ...)."""

    async def notify_admins(self, server_id: str, card: Card) -> None: ...


@runtime_checkable
class ServerSender(Protocol):
    """A platform whose token depends on the server (Slack OAuth: one bot token per workspace)."""

    async def send_to(
        self, server_id: str, channel_id: str, card: Card, dedupe_key: str
    ) -> None: ...
