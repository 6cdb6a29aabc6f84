"""Retry-After, read once for every caller: delta-seconds or an HTTP date, clamped to a maximum.

Pure (the caller passes `now`). A server may ask for anything — `99999999`, `1e400`, a date in the
year 9999 — so every wait is cut to the caller's documented maximum; a value that is neither a
number nor a date counts as absent.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import overload

# The longest each caller waits whatever a server says (README: a failing chart source is retried
# after at most 6 h; the outbox's backoff stops at 1 h; OMDb's quota resets daily).
FEED_MAX = 6 * 3600.0
REVIEWS_MAX = 24 * 3600.0
DELIVERY_MAX = 3600.0


@overload
def parse_retry_after(
    value: str | None, *, now: datetime, maximum: float, default: float
) -> float: ...


@overload
def parse_retry_after(
    value: str | None, *, now: datetime, maximum: float, default: None = None
) -> float | None: ...


def parse_retry_after(
    value: str | None, *, now: datetime, maximum: float, default: float | None = None
) -> float | None:
    """Seconds to wait, between 0 and `maximum`; `default` when the header is absent or unreadable.

    Args:
        value: the header as received ("120", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT").
        now: the current time, for HTTP dates (naive values are taken as UTC).
        maximum: the longest wait this caller accepts.
        default: what an absent or unreadable header means.
    """
    seconds = _seconds(value.strip(), now) if value else None
    if seconds is None:
        return None if default is None else min(max(0.0, default), maximum)
    return min(max(0.0, seconds), maximum)


def _seconds(value: str, now: datetime) -> float | None:
    try:
        number = float(value)  # "1e400" is inf: a request to wait long, clamped by the caller
    except ValueError:
        return _until(value, now)
    return None if math.isnan(number) else number


def _until(value: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    try:
        return (when - now).total_seconds()
    except OverflowError:
        return None
