"""Cards laid out lately, found again by identity: each adapter's Card → message memo.

Core hands out the same Card object for the same answer, and the outbox reads each alert's card
once per claim, so many sends share a few Card objects. Hashing a Card (every field, every row)
cost as much as laying it out, so the memo looks it up by `id()`; each entry keeps its card, so
that id cannot be reused while the entry lives. Layouts are only read and serialised, never
changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from bot.cards import Card

L = TypeVar("L")

KEPT = 256  # layouts kept at most (a fan-out's cards, the lists people ask for)


class CardLayouts(Generic[L]):
    """`lay_out(card)`, memoised per Card object."""

    def __init__(self, lay_out: Callable[[Card], L], size: int = KEPT) -> None:
        self._lay_out = lay_out
        self._size = size
        self._found: dict[int, tuple[Card, L]] = {}

    def __call__(self, card: Card) -> L:
        hit = self._found.get(id(card))
        if hit is not None and hit[0] is card:
            return hit[1]
        if len(self._found) >= self._size:
            self._found.clear()
        layout = self._lay_out(card)
        self._found[id(card)] = (card, layout)
        return layout
