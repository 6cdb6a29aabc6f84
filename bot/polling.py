"""When to poll a Top 10 file: pure, from the publications seen so far and `now` (no I/O, no clock).

Netflix publishes each week's lists once, on the Tuesday after the Monday–Sunday viewing week. The
publication time of each week is learned from the file's Last-Modified (or when we first saw it);
around the expected time the file is polled every few minutes until the week appears, then
slowly until the next window opens. A week that is late keeps the fast pace for a bounded while.

Times are offsets from the Sunday (00:00 UTC) that ends the week a publication is about, so a
Tuesday 19:00 UTC publication is 2 days 19 hours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from statistics import median_low
from typing import Literal

Mode = Literal["published", "window", "late", "overdue"]
WEEK = timedelta(days=7)
# a publication earlier than the Monday after its week or later than the next Monday is a
# correction or a first download long after the fact: it says nothing about the usual time
PLAUSIBLE = (timedelta(days=1), timedelta(days=8))
OUTLIER = timedelta(hours=12)  # from the median: a holiday delay is not the new normal
MAX_MARGIN = timedelta(hours=12)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*([a-z]{3})\w*\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Publication:
    """A week first seen in a feed: when the file says it changed, and when we saw it."""

    week: date
    published_at: datetime
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Window:
    """Offsets from the week's Sunday: when polling speeds up, the expected time, when it ends."""

    start: timedelta
    expected: timedelta
    end: timedelta
    learned: int = 0  # how many past publications it comes from; 0 = the configured default


@dataclass(frozen=True, slots=True)
class PollSettings:
    """The paces, the window to assume before any week was seen, and how to learn one."""

    fast: timedelta = timedelta(minutes=5)
    slow: timedelta = timedelta(hours=1)
    # Tuesday 14:00–22:00 UTC until a week is seen; README "When trendbot checks for a new week"
    default: Window = Window(
        timedelta(days=2, hours=14), timedelta(days=2, hours=18), timedelta(days=2, hours=22)
    )
    margin: timedelta = timedelta(hours=1)
    late: timedelta = timedelta(hours=4)
    learn_weeks: int = 8


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do next: the awaited week, when it is expected, and when to poll again."""

    mode: Mode
    next_poll: datetime
    week: date  # the week whose publication is awaited next
    expected: datetime
    window_start: datetime
    window_end: datetime
    poll_every: timedelta  # the pace now
    learned: int


def parse_window(text: str) -> Window:
    """`"tue 14:00-22:00"` (UTC) → a default Window; ValueError saying what is wrong."""
    found = _WINDOW.match(text.lower())
    if not found or found.group(1) not in WEEKDAYS:
        raise ValueError(
            f'expected a weekday and two UTC times like "tue 14:00-22:00", not {text!r}'
        )
    day = timedelta(days=WEEKDAYS.index(found.group(1)) + 1)  # Monday is 1 day after Sunday
    h1, m1, h2, m2 = (int(found.group(i)) for i in range(2, 6))
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{text!r} has an impossible time of day")
    start, end = day + timedelta(hours=h1, minutes=m1), day + timedelta(hours=h2, minutes=m2)
    if end <= start:
        raise ValueError(f"{text!r} must end after it starts (on the same day)")
    return Window(start, start + (end - start) / 2, end)


def published_at(last_modified: str | None, seen: datetime) -> datetime:
    """When the file changed: its Last-Modified, else (or if in the future) when we saw it."""
    if last_modified:
        try:
            stamp = parsedate_to_datetime(last_modified)
        except (TypeError, ValueError, IndexError):
            return seen
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        return min(stamp, seen)
    return seen


def learned_window(history: Sequence[Publication], settings: PollSettings) -> Window:
    """The window from the latest `learn_weeks` publications, or the default without any."""
    recent = sorted(history, key=lambda p: p.week, reverse=True)[: settings.learn_weeks]
    offsets = [p.published_at - _sunday(p.week) for p in recent]
    offsets = [o for o in offsets if PLAUSIBLE[0] <= o < PLAUSIBLE[1]]
    if not offsets:
        return settings.default
    middle = median_low(offsets)
    usual = [o for o in offsets if abs(o - middle) <= OUTLIER]
    return Window(
        min(usual) - settings.margin, middle, max(usual) + settings.margin, learned=len(usual)
    )


def plan(
    history: Sequence[Publication],
    last_poll: datetime | None,
    now: datetime,
    settings: PollSettings,
    held: date | None = None,
) -> Plan:
    """The next poll of one feed, given the weeks it has published and when it was last polled
    (`held`: a newer week known to be out by other means, such as a file ingested by hand).

    The awaited week is the latest whose window has opened. Once it is in, poll slowly until
    the next window opens; while it is not, poll fast until the window's end plus `late`, then
    slowly (still watching) until it appears or the next window opens.
    """
    window = learned_window(history, settings)
    week = _latest_opened(now, window)
    newest = max([p.week for p in history] + ([held] if held else []), default=None)
    if newest is not None and newest >= week:
        # an early publication may already be the week after: await the one after that
        awaited = max(newest, week) + WEEK
        start = _sunday(awaited) + window.start
        due = now if last_poll is None else min(last_poll + settings.slow, start)
        return _plan("published", due, awaited, window, settings.slow)
    end = _sunday(week) + window.end
    if now < end + settings.late:
        due = now if last_poll is None else last_poll + settings.fast
        return _plan("window" if now < end else "late", due, week, window, settings.fast)
    following = _sunday(week + WEEK) + window.start
    due = now if last_poll is None else min(last_poll + settings.slow, following)
    return _plan("overdue", due, week, window, settings.slow)


def _plan(
    mode: Mode, due: datetime, week: date, window: Window, pace: timedelta
) -> Plan:  # fmt: skip
    sunday = _sunday(week)
    return Plan(
        mode, due, week, sunday + window.expected, sunday + window.start, sunday + window.end,
        pace, window.learned,
    )  # fmt: skip


def _latest_opened(now: datetime, window: Window) -> date:
    """The latest week (a Sunday) whose publication window has opened by `now`."""
    today = now.astimezone(UTC).date()
    week = today - timedelta(days=(today.weekday() + 1) % 7)  # the Sunday on or before today
    while _sunday(week) + window.start > now:
        week -= WEEK
    return week


def _sunday(week: date) -> datetime:
    return datetime.combine(week, time(0), UTC)
