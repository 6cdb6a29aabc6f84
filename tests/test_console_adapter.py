"""The console adapter: cards as terminal text, and the interactive loop over a real Core."""

from __future__ import annotations

import importlib.util
import io
import os
import pty
import select
import sys
from pathlib import Path

import pytest

from adapters.console_adapter import ConsoleAdapter, card_text, interact
from bot.asks import Context
from bot.cards import Card, Field, Image, Link, Tone
from bot.core import Core

CTX = Context("console", "demo", "alerts", "me", is_admin=True)
ROOT = Path(__file__).resolve().parents[1]


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


def test_pictures_are_saved_and_their_path_shown(tmp_path: Path) -> None:
    out = io.StringIO()
    ConsoleAdapter(out, pictures=tmp_path / "pics").show(
        Card("Should you watch X?", image=Image("x-rank-history.png", b"\x89PNG data"))
    )
    saved = tmp_path / "pics" / "x-rank-history.png"
    assert saved.read_bytes() == b"\x89PNG data"
    assert f"[picture: {saved}]" in out.getvalue()


def test_a_picture_that_cannot_be_saved_is_only_described(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    out = io.StringIO()
    ConsoleAdapter(out, pictures=tmp_path / "taken").show(Card("X", image=Image("x.png", b"12")))
    assert "[picture: x.png, 2 bytes]" in out.getvalue()


def _read_until(fd: int, wanted: bytes, seen: bytearray) -> None:
    """Read the terminal until `wanted` appears (10 s at most: a hung child fails the test)."""
    deadline = 10.0
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], deadline)
        assert ready, f"no {wanted!r} on the terminal; got {bytes(seen)[-200:]!r}"
        seen.extend(os.read(fd, 4096))


@pytest.mark.skipif(importlib.util.find_spec("readline") is None, reason="no readline here")
def test_the_prompt_has_history_and_tab_completion() -> None:
    """A real terminal (pty): ↑ recalls the last line, Tab completes a command name."""
    script = (
        "from adapters.console_adapter import enable_line_editing\n"
        "assert enable_line_editing()\n"
        "lines = [input('trendbot> ') for _ in range(3)]\n"
        "print('GOT', lines)\n"
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: a Python reading its prompt from the terminal
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", script])
    seen = bytearray()
    try:
        for keys in (b"/trending GB tv\r", b"\x1b[A\r", b"/sur\t US\r"):
            _read_until(fd, b"trendbot> ", seen)
            del seen[: seen.index(b"trendbot> ") + 10]
            os.write(fd, keys)
        _read_until(fd, b"]\r\n", seen)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert "GOT ['/trending GB tv', '/trending GB tv', '/surprises US']" in seen.decode()
    assert os.waitstatus_to_exitcode(status) == 0
