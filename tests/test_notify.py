"""Alert planning and delivery through the outbox: thresholds, baselines, once-only delivery,
429 → wait Retry-After, 5xx → backoff, 403/404 → channel disabled with a reason."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core import Core
from bot.errors import ChannelUnavailable, RateLimited, TransientDeliveryError
from bot.models import ChartKey, Context
from bot.notify import Notifier, backoff
from tests.fakes import FakeClock, RecordingAdapter

WEEK = date(2022, 6, 26)
ADMIN = Context("test", "guild-1", "general", "admin", is_admin=True)


async def subscribe(core: Core, ctx: Context = ADMIN, channel: str = "alerts") -> None:
    await core.run("config channel", {"channel": channel}, ctx)
    await core.run("config regions add", {"regions": "US"}, ctx)


async def rewind_baseline(core: Core, server: str = "guild-1") -> None:
    # subscribing stores the latest week as baseline; pretend they subscribed before June
    await core.store._db.execute(
        "UPDATE server_regions SET baseline_week = '2022-05-29' WHERE server_id = ?", (server,)
    )


async def test_backtrace_alert_is_planned_once_per_channel(core: Core, clock: FakeClock) -> None:
    adapter = RecordingAdapter()
    await subscribe(core)
    await subscribe(core, Context("test", "guild-2", "x", "admin", is_admin=True), "other")
    await rewind_baseline(core)
    await rewind_baseline(core, "guild-2")
    notifier = Notifier(core.store, {"test": adapter}, clock)
    analysis = await core.analyst.week(WEEK)
    assert await notifier.queue_week(WEEK, analysis) == 2
    assert await notifier.queue_week(WEEK, analysis) == 0  # the unique key holds
    report = await notifier.drain()
    assert report.sent == 2
    assert sorted(ch for ch, _c, _k in adapter.sent) == ["alerts", "other"]
    card = adapter.sent[0][1]
    assert card.title == "⚡ Surprise in United States · Films: Backtrace (2018)"
    assert "• 2018 release — 4 years old" in card.fields[0].value
    assert (await notifier.drain()).sent == 0  # nothing is delivered twice


async def test_a_new_subscription_does_not_flood_old_weeks(core: Core, clock: FakeClock) -> None:
    await subscribe(core)  # baseline = latest stored week (2022-08-28)
    notifier = Notifier(core.store, {"test": RecordingAdapter()}, clock)
    assert await notifier.queue_week(WEEK, await core.analyst.week(WEEK)) == 0


async def test_threshold_is_per_server(core: Core, clock: FakeClock) -> None:
    await subscribe(core)
    await rewind_baseline(core)
    await core.run("config threshold", {"value": 95}, ADMIN)
    notifier = Notifier(core.store, {"test": RecordingAdapter()}, clock)
    assert await notifier.queue_week(WEEK, await core.analyst.week(WEEK)) == 0


async def prepared(core: Core, clock: FakeClock, adapter: RecordingAdapter) -> Notifier:
    await subscribe(core)
    await rewind_baseline(core)
    notifier = Notifier(core.store, {"test": adapter}, clock, max_attempts=3)
    await notifier.queue_week(WEEK, await core.analyst.week(WEEK))
    return notifier


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
    notifier = Notifier(core.store, {}, clock)
    await notifier.queue_week(WEEK, await core.analyst.week(WEEK))
    await notifier.drain()
    assert await core.store.outbox_counts() == {"pending": 1}
    assert ChartKey("US", "films") in await core.analyst.week(WEEK)
