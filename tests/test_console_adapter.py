"""The console adapter: cards as terminal text, and the interactive loop over a real Core."""

from __future__ import annotations

import io

from adapters.console_adapter import ConsoleAdapter, card_text, interact
from bot.core import Core
from bot.models import Card, Context, Field, Image, Link, Tone

CTX = Context("console", "demo", "alerts", "me", is_admin=True)


def test_card_text_shows_every_part() -> None:
    card = Card(
        "Title",
        "Body text",
        (Field("Label", "value"), Field("Long", "a\nb", False)),
        "footer",
        Tone.ERROR,
        (Link("IMDb", "https://imdb.example/"),),
        Image("x.png", b"1234"),
    )
    text = card_text(card)
    assert text.startswith("✖ Title")
    for part in (
        "Body text",
        "  Label: value",
        "      a",
        "      b",
        "IMDb: https://imdb.example/",
        "[picture: x.png, 4 bytes]",
        "— footer",
    ):
        assert part in text


async def test_interactive_session(core: Core) -> None:
    lines = iter(
        [
            "/trending GB tv 2022-06-26",
            "should I watch Backtrace?",
            "/config threshold x",
            "hello",
            "",
            "quit",
            "never read",
        ]
    )

    async def read_line(prompt: str) -> str | None:
        return next(lines)

    out = io.StringIO()
    await interact(core, CTX, ConsoleAdapter(out), read_line)
    text = out.getvalue()
    assert "Top 10 · United Kingdom · TV" in text
    assert "Should you watch Backtrace (2018)?" in text
    assert "Threshold must be a whole number" in text
    assert text.count("trendbot — surprises in Netflix's Top 10") == 2  # at start, and for "hello"
    assert next(lines) == "never read"


async def test_eof_ends_the_session(core: Core) -> None:
    async def read_line(prompt: str) -> str | None:
        return None

    await interact(core, CTX, ConsoleAdapter(io.StringIO()), read_line)
