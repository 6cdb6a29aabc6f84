"""Lenient readers for one cell of a data file: its number, or None when it is blank or not one."""

from __future__ import annotations


def int_or_none(text: str | None) -> int | None:
    """A whole number from '1999', '1999.0' or ' 7 '; None for '', None or 'n/a'."""
    try:
        return int(float(text)) if text and text.strip() else None
    except ValueError:
        return None


def float_or_none(text: str | None) -> float | None:
    """A number from '7.5'; None for '', None or 'n/a'."""
    try:
        return float(text) if text and text.strip() else None
    except ValueError:
        return None
