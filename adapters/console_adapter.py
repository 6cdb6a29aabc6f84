"""The console adapter: a terminal "channel" — Cards printed as text, typed lines sent to the core.

The embedded default: no token, no network. It only translates (line → command, Card → text).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.asks import Context
from bot.cards import Card, Image, Tone
from bot.core import Core

log = logging.getLogger(__name__)

PLATFORM = "console"
COMMAND_WORDS = ("/trending", "/surprises", "/watch", "/config", "/help", "/about", "quit")
_MARKS = {Tone.ERROR: "✖", Tone.WARNING: "!", Tone.GOOD: "✔"}


def card_text(card: Card, width: int = 88, picture: Path | None = None) -> str:
    """A card as terminal text: title, body, fields, links, footer; `picture` is where the card's
    image was saved, if it was."""
    mark = _MARKS.get(card.tone, "")
    lines = [
        f"{mark} {card.title}".strip(),
        "─" * min(width, max(20, len(card.title) + 2)),
    ]
    if card.text:
        lines.extend(textwrap.wrap(card.text, width))
    for field in card.fields:
        value_lines = field.value.splitlines() or [""]
        if len(value_lines) == 1 and len(field.label) + len(value_lines[0]) < width - 4:
            lines.append(f"  {field.label}: {value_lines[0]}")
        else:
            lines.append(f"  {field.label}")
            lines.extend(f"      {v}" for v in value_lines)
    for link in card.links:
        lines.append(f"  {link.label}: {link.url}")
    if card.image is not None and picture is not None:
        lines.append(f"  [picture: {picture}]")
    elif card.image is not None:
        lines.append(f"  [picture: {card.image.filename}, {len(card.image.data):,} bytes]")
    if card.footer:
        lines.append(f"  — {card.footer}")
    return "\n".join(lines)


class ConsoleAdapter:
    """Prints what a channel would receive; with `pictures`, saves cards' images there (the
    terminal's upload) and prints their paths."""

    platform = PLATFORM
    connected = True  # a terminal is always there

    def __init__(self, out: TextIO | None = None, pictures: Path | None = None) -> None:
        self._out = out or sys.stdout
        self._pictures = pictures

    async def start(self) -> None:
        log.info("no chat platform configured: alerts go to standard output")

    async def close(self) -> None:
        self._out.flush()

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        self.show(card, prefix=f"[#{channel_id}] ")

    def show(self, card: Card, prefix: str = "") -> None:
        saved = self._save(card.image) if card.image is not None else None
        text = card_text(card, picture=saved)
        self._out.write(f"\n{prefix}{text}\n")
        self._out.flush()

    def _save(self, image: Image) -> Path | None:
        if self._pictures is None:
            return None
        path = (self._pictures / Path(image.filename).name).absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(image.data)
        except OSError as exc:
            log.warning("could not save the picture %s: %s", path, exc)
            return None
        return path


async def interact(
    core: Core,
    ctx: Context,
    adapter: ConsoleAdapter,
    read_line: Callable[[str], Awaitable[str | None]],
) -> None:
    """Read commands until EOF or "quit": `/trending US films`, `should I watch Backtrace?`."""
    adapter.show(await core.run("help", {}, ctx))
    while True:
        line = await read_line("trendbot> ")
        if line is None or line.strip().casefold() in (
            "quit",
            "exit",
            "/quit",
            "/exit",
        ):
            return
        line = line.strip()
        if not line:
            continue
        if line.startswith("/"):
            name, _, rest = line[1:].partition(" ")
            if name.casefold() == "config":
                card = await core.run_text("config", rest, ctx)
            else:
                card = await core.run_text(name, rest, ctx)
        else:
            answer = await core.answer(line, ctx)
            card = answer if answer is not None else await core.run("help", {}, ctx)
        adapter.show(card)


def enable_line_editing(words: tuple[str, ...] = COMMAND_WORDS) -> bool:
    """Arrow keys, history (↑) and Tab completion of `words` at the prompt, where Python has
    readline (GNU readline or libedit); False where it has not (Windows)."""
    try:
        import readline
    except ImportError:
        return False

    def complete(text: str, state: int) -> str | None:
        found = [w for w in words if w.startswith(text)]
        return found[state] if state < len(found) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" ")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    return True


async def read_stdin(prompt: str) -> str | None:
    """input() on a worker thread, so the event loop keeps running; None at EOF."""
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None
