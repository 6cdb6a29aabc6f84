"""Alert planning, pure: which channels hear of which surprise events of a week, with one card
per event and language shared by every channel that hears of it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.cards import Card
from bot.judge.week import Judged
from bot.languages import for_channel
from bot.models import Alert, ChartKey
from bot.store import Subscriber
from bot.words.charts import alert_card
from bot.words.i18n import speaking

SURPRISE = "surprise"
EVENT_REGION = "*"  # an alert is about a title's event, not one list: its outbox key says so


def plan_alerts(
    week: Mapping[ChartKey, tuple[Judged, ...]],
    subscribers: Mapping[tuple[str, str], list[Subscriber]],
) -> list[Alert]:
    """One alert per channel and event: a title that surprised in any of the channel's lists
    (above its threshold, after its baseline) is one alert however many lists it entered."""
    # Work grows with alerts, not with channels × entries: each list's passing entries are
    # found once per (threshold, baseline), and channels whose passing entries are the same
    # objects share one plan (events, cards); only the Alert rows are per channel.
    by_list: dict[tuple[str, str], list[Judged]] = {}
    for key, entries in week.items():
        for entry in entries:
            if entry.surprise.alertable:
                by_list.setdefault((key.region, key.category), []).append(entry)
    # channel → its subscriber (whose settings say how its cards are rendered) and the passing
    # entries of each of its lists
    channels: dict[tuple[str, str, str], tuple[Subscriber, list[tuple[Judged, ...]]]] = {}
    for where, found in by_list.items():
        passing: dict[tuple[int, date | None], tuple[Judged, ...]] = {}
        for sub in subscribers.get(where, ()):
            rule = (sub.threshold, sub.baseline_week)
            mine = passing.get(rule)
            if mine is None:
                mine = passing[rule] = _passing(found, sub)
            if mine:
                channel = (sub.platform, sub.server_id, sub.channel_id)
                if (seen := channels.get(channel)) is None:
                    channels[channel] = (sub, [mine])
                else:
                    seen[1].append(mine)
    # a plan depends on the passing entries and on how its cards are rendered: a rendering
    # choice of the subscriber's (a language) belongs in the plan's key and the cards' key
    plans: dict[tuple[str, tuple[int, ...]], list[tuple[ChartKey, date, str, Card]]] = {}
    cards: dict[tuple[tuple[ChartKey, ...], str, str], Card] = {}
    alerts = []
    for (platform, server_id, channel_id), (sub, parts) in channels.items():
        language = for_channel(sub.language, sub.locale)
        shape = (language, (id(parts[0]),) if len(parts) == 1 else tuple(sorted(map(id, parts))))
        planned = plans.get(shape)
        if planned is None:
            planned = plans[shape] = _events(parts, cards, language)
        alerts += [
            Alert(platform, server_id, channel_id, key, when, group, SURPRISE, card)
            for key, when, group, card in planned
        ]
    return alerts


def _passing(found: list[Judged], sub: Subscriber) -> tuple[Judged, ...]:
    baseline = sub.baseline_week
    return tuple(
        e
        for e in found
        if e.surprise.score >= sub.threshold and (baseline is None or e.week > baseline)
    )  # a new subscription starts from the next week, not a flood


def _events(
    parts: list[tuple[Judged, ...]],
    cards: dict[tuple[tuple[ChartKey, ...], str, str], Card],
    language: str,
) -> list[tuple[ChartKey, date, str, Card]]:
    """One channel's events: (outbox key, week, group, card), a card shared by every channel
    in that language whose lists saw the same event."""
    groups: dict[str, list[Judged]] = {}
    for part in parts:
        for entry in part:
            groups.setdefault(entry.group, []).append(entry)
    planned = []
    for group, found in groups.items():
        found.sort(key=lambda e: (-e.surprise.score, e.key))
        shape = (tuple(e.key for e in found), group, language)
        card = cards.get(shape)
        if card is None:
            with speaking(language):
                card = cards[shape] = alert_card(*found)
        first = found[0]
        # the outbox key is stable whatever lists joined the event
        planned.append((ChartKey(EVENT_REGION, first.key.category), first.week, group, card))
    return planned
