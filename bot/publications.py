"""Publication-aware polling at the edge: each feed's plan read from the store, and the first
sighting of each week recorded for the plans to learn from. The rule itself is bot/polling.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from bot import polling
from bot.polling import Plan, PollSettings
from bot.store import Store

log = logging.getLogger(__name__)


class Named(Protocol):
    """A feed, as far as planning goes."""

    @property
    def name(self) -> str: ...


async def poll_plan(store: Store, name: str, settings: PollSettings, now: datetime) -> Plan:
    """A feed's publication-aware plan, from its stored history and its last attempt."""
    state = await store.source_health(name)
    history = await store.publications(name, settings.learn_weeks)
    return polling.plan(history, state.last_attempt_at, now, settings)


async def idle_feeds(
    store: Store,
    feeds: Sequence[Named],
    settings: PollSettings,
    now: datetime,
    early: timedelta = timedelta(0),
) -> dict[str, Plan]:
    """The feeds whose plan says they are not due within `early` of `now`, with that plan (a
    failure's backoff is checked when polling)."""
    idle = {}
    for feed in feeds:
        try:
            plan = await poll_plan(store, feed.name, settings, now)
        except Exception as exc:  # polled as usual: the refresh reports the store's trouble
            log.debug("chart source %s: no plan: %s", feed.name, exc, exc_info=True)
            continue
        if now + early < plan.next_poll:
            idle[feed.name] = plan
    return idle


async def first_sighting(
    store: Store, name: str, last_modified: str | None, newest: date | None, seen: datetime
) -> None:
    """Remember when the feed's newest week appeared. A 304 teaches something only while the
    history is empty: a database from before the history kept the last Last-Modified."""
    if newest is None:
        if not last_modified or await store.publications(name, 1):
            return
        newest = await store.newest_week_from(name)
        if newest is None:
            return
    when = polling.published_at(last_modified, seen)
    if await store.record_publication(name, newest, when, seen):
        log.info(
            "chart source %s: week %s first seen (published %s)",
            name, newest, f"{when:%a %Y-%m-%d %H:%M} UTC",
        )  # fmt: skip
