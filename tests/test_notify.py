"""Alert planning and delivery through the outbox: thresholds, baselines, once-only delivery,
429 → wait Retry-After, 5xx → backoff, 403/404 → channel disabled with a reason."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from bot.asks import Context
from bot.cards import Card
from bot.core import Core
from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError
from bot.models import Alert, ChartKey, PendingAlert
from bot.notify import Notifier, backoff
from bot.pacing import Pace
from tests.fakes import FakeClock, FakeSleep, RecordingAdapter

WEEK = date(2022, 6, 26)
ADMIN = Context("test", "guild-1", "general", "admin", is_admin=True)


async def subscribe(core: Core, ctx: Context = ADMIN, channel: str = "alerts") -> None:
    await core.run("config channel", {"channel": channel}, ctx)
    await core.run("config regions add", {"regions": "US"}, ctx)


async def rewind_baseline(core: Core, server: str = "guild-1") -> None:
    # subscribing stores the latest week as baseline; pretend they subscribed before June
    await core.store._db.run(
        "UPDATE server_regions SET baseline_week = '2022-05-29' WHERE server_id = :server",
        {"server": server},
    )


async def test_backtrace_alert_is_planned_once_per_channel(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter()
    await subscribe(core)
    await subscribe(core, Context("test", "guild-2", "x", "admin", is_admin=True), "other")
    await rewind_baseline(core)
    await rewind_baseline(core, "guild-2")
    notifier = Notifier(core.store, {"test": adapter}, clock, sleep=FakeSleep())
    analysis = backtrace_only(await core.analyst.week(WEEK))
    assert await notifier.queue_week(analysis) == 2
    assert await notifier.queue_week(analysis) == 0  # the unique key holds
    report = await notifier.drain()
    assert report.sent == 2
    assert sorted(ch for ch, _c, _k in adapter.sent) == ["alerts", "other"]
    card = adapter.sent[0][1]
    assert card.title == "⚡ Surprise in United States · Films: Backtrace (2018)"
    assert "• 2018 release — 4 years old" in card.fields[0].value
    assert (await notifier.drain()).sent == 0  # nothing is delivered twice


async def test_a_new_subscription_does_not_flood_old_weeks(core: Core, clock: FakeClock) -> None:
    await subscribe(core)  # baseline = latest stored week (2022-08-28)
    notifier = Notifier(core.store, {"test": RecordingAdapter()}, clock, sleep=FakeSleep())
    assert await notifier.queue_week(await core.analyst.week(WEEK)) == 0


async def test_threshold_is_per_server(core: Core, clock: FakeClock) -> None:
    await subscribe(core)
    await rewind_baseline(core)
    await core.run("config threshold", {"value": 95}, ADMIN)
    notifier = Notifier(core.store, {"test": RecordingAdapter()}, clock, sleep=FakeSleep())
    assert await notifier.queue_week(await core.analyst.week(WEEK)) == 0


async def prepared(core: Core, clock: FakeClock, adapter: RecordingAdapter) -> Notifier:
    await subscribe(core)
    await rewind_baseline(core)
    notifier = Notifier(core.store, {"test": adapter}, clock, max_attempts=3, sleep=FakeSleep())
    await notifier.queue_week(backtrace_only(await core.analyst.week(WEEK)))
    return notifier


def backtrace_only(analysis):  # type: ignore[no-untyped-def]
    """The week's judgements with one surprise left (Backtrace), so delivery is what is tested."""
    return {k: tuple(e for e in v if e.movement.title == "Backtrace") for k, v in analysis.items()}


async def test_rate_limit_waits_for_retry_after(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter(failures=[RateLimited("429", retry_after=30)])
    notifier = await prepared(core, clock, adapter)
    assert (await notifier.drain()).retried == 1
    clock.advance(seconds=29)
    assert (await notifier.drain()).sent == 0
    clock.advance(seconds=1)
    assert (await notifier.drain()).sent == 1 and len(adapter.sent) == 1


async def test_transient_failures_back_off_then_give_up(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter(failures=[TransientDeliveryError("502")] * 3)
    notifier = await prepared(core, clock, adapter)
    for attempt in range(3):
        await notifier.drain()
        clock.advance(seconds=backoff(attempt).total_seconds())
    assert adapter.sent == []
    assert await core.store.outbox_counts() == {"failed": 1}


async def test_a_forbidden_channel_disables_alerts(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter(failures=[ChannelUnavailable("Discord 403 Forbidden (code 50013)")])
    notifier = await prepared(core, clock, adapter)
    report = await notifier.drain()
    assert report.failed == 1 and report.disabled_channels == (("test", "alerts"),)
    settings = await core.store.server("test", "guild-1")
    assert settings is not None and settings.disabled_reason == "Discord 403 Forbidden (code 50013)"
    show = await core.run("config show", {}, ADMIN)
    assert any(f.value == "Discord 403 Forbidden (code 50013)" for f in show.fields)
    # setting the channel again re-enables alerts
    await core.run("config channel", {"channel": "alerts"}, ADMIN)
    settings = await core.store.server("test", "guild-1")
    assert settings is not None and settings.disabled_reason is None


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [30, 60, 120, 240]
    assert backoff(50) == timedelta(hours=1)


async def test_alerts_for_a_platform_not_running_stay_queued(core: Core, clock: FakeClock) -> None:
    await subscribe(core)
    await rewind_baseline(core)
    notifier = Notifier(core.store, {}, clock, sleep=FakeSleep())
    await notifier.queue_week(backtrace_only(await core.analyst.week(WEEK)))
    await notifier.drain()
    assert await core.store.outbox_counts() == {"pending": 1}
    assert ChartKey("US", "films") in await core.analyst.week(WEEK)


def _alerts(channels: list[str], per_channel: int) -> list[Alert]:
    return [
        Alert("slack", "T1", channel, ChartKey("US", "films"), WEEK, f"title {n}", "surprise",
              Card(f"title {n}"))
        for channel in channels
        for n in range(per_channel)
    ]  # fmt: skip


async def test_pacing_spaces_posts_per_channel_and_per_platform(
    core: Core, clock: FakeClock
) -> None:
    sleep = FakeSleep()
    adapter = RecordingAdapter(platform="slack")
    pace = Pace(per_second=10.0, channel_interval=1.5, concurrency=8)
    notifier = Notifier(core.store, {"slack": adapter}, clock, paces={"slack": pace},
                        sleep=sleep, monotonic=sleep.monotonic)  # fmt: skip
    await notifier.enqueue(_alerts(["C1", "C2", "C3"], per_channel=2))
    started = sleep.now
    report = await notifier.drain()
    assert report.sent == 6
    # six posts at 10/s need >= 0.5 s; two posts per channel 1.5 s apart need >= 1.5 s
    assert sleep.now - started >= 1.5
    assert sleep.now - started < 2.0  # the three channels went in parallel, not one after another
    assert sorted(ch for ch, _card, _key in adapter.sent) == ["C1", "C1", "C2", "C2", "C3", "C3"]


class LookupAdapter(RecordingAdapter):
    """A platform that can say whether a message with a dedupe key is already in a channel."""

    def __init__(self, already: set[str]) -> None:
        super().__init__(platform="slack")
        self.already = already

    async def was_sent(self, channel_id: str, dedupe_key: str, card: Card) -> bool:
        return dedupe_key in self.already


async def test_a_send_cut_off_by_a_crash_is_checked_not_repeated(
    core: Core, clock: FakeClock
) -> None:
    await core.store.enqueue(_alerts(["C1"], per_channel=2), clock())
    first, second = await core.store.due(clock())
    await core.store.claim(first.id, clock())  # the process died right after this send started
    await core.store.claim(second.id, clock())  # ... and this one never reached Slack
    adapter = LookupAdapter(already={f"tb{first.id}"})
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    report = await notifier.drain()
    assert report.sent == 2
    assert [key for _ch, _card, key in adapter.sent] == [f"tb{second.id}"]
    assert await core.store.outbox_counts() == {"sent": 2}


class NoticeAdapter(RecordingAdapter):
    def __init__(self) -> None:
        super().__init__(failures=[ChannelUnavailable("Slack: not_in_channel")] * 2)
        self.notices: list[tuple[str, Card]] = []

    async def notify_admins(self, server_id: str, card: Card) -> None:
        self.notices.append((server_id, card))


async def test_admins_are_told_once_when_alerts_pause(core: Core, clock: FakeClock) -> None:
    adapter = NoticeAdapter()
    await subscribe(core)
    await rewind_baseline(core)
    notifier = Notifier(core.store, {"test": adapter}, clock, sleep=FakeSleep())
    await notifier.queue_week(await core.analyst.week(WEEK))
    await notifier.drain()
    await notifier.enqueue([Alert("test", "guild-1", "alerts", ChartKey("US", "films"),
                                  date(2022, 7, 3), "Other", "surprise", Card("x"))])  # fmt: skip
    await notifier.drain()
    assert [(server, card.title) for server, card in adapter.notices] == [
        ("guild-1", "trendbot alerts are paused")
    ]
    assert "Slack: not_in_channel" in adapter.notices[0][1].text


async def test_stop_finishes_in_flight_and_keeps_the_rest(core: Core, clock: FakeClock) -> None:
    sleep = FakeSleep()
    adapter = RecordingAdapter(platform="slack")
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=sleep,
                        paces={"slack": Pace(100.0, 1.0, 1)})  # fmt: skip
    await notifier.enqueue(_alerts(["C1"], per_channel=3))

    async def stop_after_first(seconds: float) -> None:
        notifier.stop()  # SIGTERM arrives while we wait for the channel's next slot

    notifier._sleep = stop_after_first
    report = await notifier.drain()
    assert report.sent == 1
    assert await core.store.outbox_counts() == {"sent": 1, "pending": 2}


class TimeoutThenLookupAdapter(LookupAdapter):
    """Slack answers a post too late: it timed out here, but the message is in the channel."""

    def __init__(self) -> None:
        super().__init__(already=set())
        self.failures = [TransientDeliveryError("timeout")]

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        if self.failures:
            self.already.add(dedupe_key)  # it did arrive
            raise self.failures.pop(0)
        self.sent.append((channel_id, card, dedupe_key))


async def test_a_timed_out_send_is_checked_before_it_is_retried(
    core: Core, clock: FakeClock
) -> None:
    adapter = TimeoutThenLookupAdapter()
    await core.store.enqueue(_alerts(["C1"], per_channel=1), clock())
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    assert (await notifier.drain()).retried == 1
    clock.advance(seconds=backoff(0).total_seconds())
    assert (await notifier.drain()).sent == 1
    assert adapter.sent == []  # found in the channel: not posted a second time
    assert await core.store.outbox_counts() == {"sent": 1}


class BundlingAdapter(RecordingAdapter):
    """A platform that posts several alerts as one message (as Discord's embeds allow)."""

    bundle_limit = 3

    def __init__(self, failures: list | None = None) -> None:
        super().__init__(platform="slack", failures=list(failures or []))
        self.messages: list[tuple[str, list[str], list[str]]] = []

    async def send_bundle(self, server_id, channel_id, cards, dedupe_keys) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.messages.append((channel_id, [c.title for c in cards], list(dedupe_keys)))


async def test_a_channels_alerts_of_one_week_go_out_as_few_messages(
    core: Core, clock: FakeClock
) -> None:
    adapter = BundlingAdapter()
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    await notifier.enqueue(_alerts(["C1"], per_channel=4) + _alerts(["C2"], per_channel=1))
    report = await notifier.drain()
    assert report.sent == 5
    # four alerts for C1: one message of three (the platform's limit) and one alone
    assert sorted((ch, len(titles)) for ch, titles, _k in adapter.messages) == [("C1", 3)]
    assert sorted(ch for ch, _card, _key in adapter.sent) == ["C1", "C2"]
    assert await core.store.outbox_counts() == {"sent": 5}
    assert (await notifier.drain()).sent == 0  # nothing twice


async def test_a_refused_bundle_retries_every_alert_in_it(core: Core, clock: FakeClock) -> None:
    adapter = BundlingAdapter(failures=[TransientDeliveryError("502")])
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    await notifier.enqueue(_alerts(["C1"], per_channel=2))
    report = await notifier.drain()
    assert report.retried == 2 and adapter.messages == []
    assert await core.store.outbox_counts() == {"pending": 2}
    clock.advance(seconds=backoff(0).total_seconds())
    # a send whose fate is unknown (a 5xx) is retried alone, checked first where possible
    assert (await notifier.drain()).sent == 2
    assert adapter.messages == [] and len(adapter.sent) == 2


async def test_a_channel_waiting_its_turn_does_not_hold_the_others(
    core: Core, clock: FakeClock
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pace = Pace(per_second=10.0, channel_interval=1.5, concurrency=8)
    notifier = Notifier(core.store, {"slack": RecordingAdapter(platform="slack")}, clock,
                        paces={"slack": pace}, sleep=sleep, monotonic=lambda: 0.0)  # fmt: skip
    first, second = _alerts(["C1"], per_channel=2)
    [other] = _alerts(["C2"], per_channel=1)
    await notifier._wait_turn(first)
    await notifier._wait_turn(second)  # C1's next post waits its 1.5 s ...
    waits.clear()
    await notifier._wait_turn(other)  # ... and C2 only the platform's 0.1 s after C1's first
    assert waits and max(waits) < 1.0


async def test_a_full_claim_sends_its_last_channel_whole(
    core: Core, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.notify

    monkeypatch.setattr(bot.notify, "CLAIM_BATCH", 4)
    adapter = BundlingAdapter()
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    await notifier.enqueue(_alerts(["C1"], per_channel=3) + _alerts(["C2"], per_channel=3))
    report = await notifier.drain()
    assert report.sent == 6
    # the claim of 4 held C1's three and one of C2's: C2 went back and came whole
    assert sorted((ch, len(titles)) for ch, titles, _k in adapter.messages) == [
        ("C1", 3),
        ("C2", 3),
    ]


async def test_alerts_given_back_unsent_are_not_left_marked_as_maybe_sent(
    core: Core, clock: FakeClock
) -> None:
    adapter = BundlingAdapter()
    adapter.bundle_limit = 1
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep(),
                        paces={"slack": Pace(100.0, 1.0, 1)})  # fmt: skip
    await notifier.enqueue(_alerts(["C1"], per_channel=3))

    async def stop_after_first(seconds: float) -> None:
        notifier.stop()

    notifier._sleep = stop_after_first
    assert (await notifier.drain()).sent == 1
    left = await core.store.due(clock())
    assert len(left) == 2 and not any(p.maybe_sent for p in left)


async def test_a_channel_split_across_claims_keeps_its_order(
    core: Core, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.notify

    monkeypatch.setattr(bot.notify, "CLAIM_BATCH", 3)
    monkeypatch.setattr(bot.notify, "PER_CHANNEL", 2)
    adapter = RecordingAdapter(platform="slack")
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep())
    await notifier.enqueue(_alerts(["C1", "C2"], per_channel=5))
    assert (await notifier.drain()).sent == 10
    for channel in ("C1", "C2"):
        titles = [card.title for ch, card, _key in adapter.sent if ch == channel]
        assert titles == [f"title {n}" for n in range(5)]
    assert await core.store.outbox_counts() == {"sent": 10}


async def test_the_next_claim_is_made_while_the_last_batch_still_sends(
    core: Core, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fan-out used to stand still between batches while it claimed the next one
    import bot.notify

    monkeypatch.setattr(bot.notify, "FIRST_CLAIM", 2)
    monkeypatch.setattr(bot.notify, "CLAIM_BATCH", 2)
    monkeypatch.setattr(bot.notify, "LOOKAHEAD", 1)
    claims: list[list[str]] = []
    events: list[str] = []
    second_claim = asyncio.Event()
    claim_due = core.store.claim_due

    async def noted(*args: Any, **kwargs: Any) -> list[PendingAlert]:
        found = await claim_due(*args, **kwargs)
        claims.append([p.alert.channel_id for p in found])
        events.append("claimed " + " ".join(claims[-1]))
        if len(claims) == 2:
            second_claim.set()
        return found

    monkeypatch.setattr(core.store, "claim_due", noted)

    class SecondSendWaits(RecordingAdapter):
        async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
            # (the first send of a drain goes before the next claim is written)
            if channel_id == "C2":  # held until the next batch is claimed (a bound, not a pause)
                async with asyncio.timeout(10):
                    await second_claim.wait()
            await super().send(channel_id, card, dedupe_key)
            events.append(f"sent {channel_id}")

    adapter = SecondSendWaits(platform="slack")
    notifier = Notifier(core.store, {"slack": adapter}, clock, sleep=FakeSleep(),
                        paces={"slack": Pace(100.0, 0.0, 1)})  # fmt: skip
    await notifier.enqueue(_alerts(["C1", "C2", "C3", "C4"], per_channel=1))
    assert (await notifier.drain()).sent == 4
    assert claims[:2] == [["C1", "C2"], ["C3", "C4"]]
    # the first send went before the next claim's write; C2 was still sending during it
    assert events[:3] == ["claimed C1 C2", "sent C1", "claimed C3 C4"]
    assert events.index("claimed C3 C4") < events.index("sent C2")
    assert [channel for channel, _card, _key in adapter.sent] == ["C1", "C2", "C3", "C4"]
    assert await core.store.outbox_counts() == {"sent": 4}
