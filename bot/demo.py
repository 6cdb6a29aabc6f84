"""The demo: replay the bundled weeks through the real pipeline into one channel, then answer.

A console server follows US and GB (films and TV). Each bundled week is stored, analysed, planned
into the outbox and delivered exactly as `trendbot run` would, to whatever adapter is passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from bot.asks import Context
from bot.cards import Card
from bot.core import Core
from bot.jobs import alert_new_weeks
from bot.models import Chart
from bot.notify import Notifier
from bot.protocols import ChatAdapter
from bot.sources.netflix import parse_top10
from bot.words.i18n import current, tag

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
BUNDLED_CHARTS = (
    DATA / "top10_countries_2022-05-01_to_2022-08-28.tsv",
    DATA / "top10_global_2022-05-01_to_2022-08-28.tsv",
)
DEMO_SERVER = "demo"
DEMO_CHANNEL = "alerts"


def bundled_charts() -> list[Chart]:
    found: list[Chart] = []
    for path in BUNDLED_CHARTS:
        found.extend(parse_top10(path.read_bytes(), origin=path.name))
    return found


async def run_demo(
    core: Core,
    adapter: ChatAdapter,
    show: Callable[[Card], None],
    say: Callable[[str], None],
    clock: Callable[[], datetime],
) -> Context:
    """Replay every bundled week into a fresh store; returns the demo admin's context."""
    spoken = tag(current())  # `trendbot demo --locale de`: the demo server speaks German
    ctx = Context(adapter.platform, DEMO_SERVER, DEMO_CHANNEL, "demo-admin", is_admin=True,
                  locale=spoken, server_locale=spoken)  # fmt: skip
    say("Setting up a channel that follows the United States and the United Kingdom …")
    for line in ("channel alerts", "regions add US GB", "categories films tv"):
        await core.run_text("config", line, ctx)
    show(await core.run_text("config", "regions list", ctx))
    notifier = Notifier(core.store, {adapter.platform: adapter}, clock)
    by_week: dict[date, list[Chart]] = {}
    for chart in bundled_charts():
        by_week.setdefault(chart.week, []).append(chart)
    for week in sorted(by_week):
        charts = by_week[week]
        report = await core.store.save_charts(charts, "bundled sample", clock())
        core.analyst.added(charts, report)
        queued = await alert_new_weeks(core, notifier)
        say(
            f"\n=== Week ending {week.isoformat()}: {len(report.saved)} lists stored, "
            f"{queued} alert(s) for #{DEMO_CHANNEL} ==="
        )
        await notifier.drain()
    say("\n=== /trending US films ===")
    show(await core.run_text("trending", "US films", ctx))
    say("\n=== “should I watch Backtrace?” ===")
    answer = await core.answer("should I watch Backtrace?", ctx)
    if answer is not None:
        show(answer)
    return ctx
