"""Core use cases over the bundled real weeks: commands in, Cards out, never a stack trace."""

from __future__ import annotations

import pytest

from bot.asks import Context
from bot.cards import Tone
from bot.core import Core

ADMIN = Context("test", "guild-1", "chan-1", "user-1", is_admin=True)
MEMBER = Context("test", "guild-1", "chan-1", "user-2", is_admin=False)


async def test_trending_shows_backtrace_new_at_8(core: Core) -> None:
    card = await core.run(
        "trending", {"region": "US", "category": "films", "week": "2022-06-26"}, MEMBER
    )
    assert card.title == "Top 10 · United States · Films"
    assert card.fields[7].label.startswith("#8 NEW · Backtrace")
    assert "⚡" in card.fields[7].label
    assert "2022-06-26" in card.footer


async def test_should_i_watch_backtrace(core: Core) -> None:
    card = await core.answer("should I watch Backtrace?", MEMBER)
    assert card is not None
    assert card.title == "Should you watch Backtrace (2018)?"
    assert card.image is not None and card.image.data.startswith(b"\x89PNG")


async def test_unknown_region_is_a_clear_private_error(core: Core) -> None:
    card = await core.run("trending", {"region": "Narnia"}, MEMBER)
    assert card.tone is Tone.ERROR and card.private
    assert "Unknown region" in card.text


async def test_concurrent_first_commands_analyse_the_week_once(core: Core) -> None:
    import asyncio

    await core.store.forget_analyses()  # as if the week had just been stored
    loads: list[object] = []
    original = core.store.week_history

    async def counted(week):
        loads.append(week)
        return await original(week)

    core.store.week_history = counted  # type: ignore[method-assign]
    cards = await asyncio.gather(
        *(core.run("trending", {"region": r}, MEMBER) for r in ("US", "GB", "BR", "US", "FR") * 4)
    )
    # the week, and the week before it (what launched then explains this week's rewatches)
    assert len(loads) == 2 and len(set(loads)) == 2
    assert {c.title for c in cards} >= {"Top 10 · United States · Films", "Top 10 · Brazil · Films"}


async def test_ingest_pauses_the_collector_and_restores_it_even_on_bad_input(core: Core) -> None:
    import gc

    from bot.errors import SourceError
    from bot.sources.netflix import Fetched

    assert gc.isenabled()
    with pytest.raises(SourceError):
        await core.ingest(Fetched("broken.tsv", b"null"))
    assert gc.isenabled()


async def test_config_show_tells_when_the_next_week_is_expected(core: Core, clock) -> None:
    from datetime import UTC, date, datetime

    def next_week(card) -> str:
        [line] = [f.value for f in card.fields if f.label == "Next Netflix Top 10"]
        return line

    # the bundled weeks end 28 August 2022 and no publication was seen: the default window
    show = await core.run("config show", {}, ADMIN)
    assert next_week(show) == "Tue 6 Sept, about 18:00 UTC (default window; week ending 4 Sept)"
    # a feed saw the week ending 28 August on Tuesday 30 August at 19:04
    tuesday = datetime(2022, 8, 30, 19, 4, tzinfo=UTC)
    await core.store.record_publication("countries", date(2022, 8, 28), tuesday, tuesday)
    clock.now = datetime(2022, 9, 6, 18, 30, tzinfo=UTC)
    show = await core.run("config show", {}, ADMIN)
    assert next_week(show) == "Tue 6 Sept, about 19:04 UTC: checking every 5 min until it is out"
    clock.now = datetime(2022, 9, 6, 21, 30, tzinfo=UTC)
    show = await core.run("config show", {}, ADMIN)
    assert next_week(show) == (
        "was due Tue 6 Sept, about 19:04 UTC and is not out yet: checking every 5 min"
    )
    # App Home shows the same card
    _settings, card = await core.settings("test", "guild-1")
    assert next_week(card) == next_week(show)
