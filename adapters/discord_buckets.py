"""discord.py's per-route rate-limit buckets, swept in amortised time instead of at every new one.

discord.py keeps one bucket per route and channel, and once it holds 256 it scans them all for idle
ones each time a new one is made (`HTTPClient._try_clear_expired_ratelimits`). A fan-out to N
channels makes N buckets within a few seconds, none idle yet, so it scans N²/2 buckets for nothing:
with 2,000 channels that was most of the bot's CPU. Here the sweep is the same, but it runs again
only once the buckets have doubled since the last one: linear in N, and the idle ones still go.
"""

from __future__ import annotations

from typing import Any

SWEEP_FROM = 256  # discord.py's own threshold


class BucketSweeper:
    """Stands in for an HTTPClient's `_try_clear_expired_ratelimits`."""

    def __init__(self, http: Any) -> None:
        self._http = http  # a discord.http.HTTPClient (its bucket dict is private, not typed)
        self._next = SWEEP_FROM

    def __call__(self) -> None:
        buckets = self._http._buckets
        if len(buckets) < self._next:
            return
        for key in [key for key, bucket in buckets.items() if bucket.is_inactive()]:
            del buckets[key]
        self._next = max(SWEEP_FROM, 2 * len(buckets))


def sweep_amortised(http: Any) -> None:
    """Give `http` (a discord.py HTTPClient) the amortised sweep, if it has the one replaced."""
    if callable(getattr(http, "_try_clear_expired_ratelimits", None)) and isinstance(
        getattr(http, "_buckets", None), dict
    ):
        http._try_clear_expired_ratelimits = BucketSweeper(http)
