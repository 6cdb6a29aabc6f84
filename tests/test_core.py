"""Core use cases over the bundled real weeks: commands in, Cards out, never a stack trace."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.models import Context, Tone

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
