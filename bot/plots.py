"""The rank-history picture: a title's weekly rank in several lists, as PNG bytes (matplotlib).

Its few words (and the regions' names) are in the language in force (bot/words/i18n.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display, and thread-safe enough for one figure at a time

from matplotlib.dates import num2date  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bot.regions import region_name  # noqa: E402
from bot.words.i18n import _, count, short_day  # noqa: E402

MAX_LINES = 6


def rank_history_png(
    title: str,
    history: Sequence[tuple[str, date, int]],
    highlight: str | None = None,
) -> bytes:
    """Draw rank (1 at the top) per week, one line per region; `history` is (region, week, rank)."""
    by_region: dict[str, list[tuple[date, int]]] = {}
    for region, week, rank in history:
        by_region.setdefault(region, []).append((week, rank))
    ordered = sorted(by_region, key=lambda r: (r != highlight, -len(by_region[r]), r))
    figure = Figure(figsize=(7, 3.6), dpi=100)
    axes = figure.subplots()
    for region in ordered[:MAX_LINES]:
        weeks, ranks = _with_gaps(sorted(by_region[region]))
        axes.plot(
            np.array(weeks, dtype="datetime64[D]"),
            ranks,
            marker="o",
            linewidth=2.5 if region == highlight else 1.2,
            label=region_name(region),
        )
    if not ordered:
        axes.text(0.5, 0.5, _("never in a top 10 I hold"), ha="center", va="center",
                  transform=axes.transAxes)  # fmt: skip
    axes.set_ylim(10.5, 0.5)
    axes.set_yticks(range(1, 11))
    axes.set_ylabel(_("rank"))
    axes.xaxis.set_major_formatter(FuncFormatter(_tick))
    axes.grid(alpha=0.3)
    shown = len(ordered[:MAX_LINES])
    heading = _("{title} — weekly rank").format(title=title)
    if len(ordered) > shown:
        more = count("+{n} more region", "+{n} more regions", len(ordered) - shown)
        heading += f" ({more})"
    axes.set_title(heading, fontsize=11)
    if ordered:
        axes.legend(fontsize=8, loc="lower left")
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _with_gaps(points: list[tuple[date, int]]) -> tuple[list[date], list[float]]:
    """Weeks and ranks with a NaN wherever weeks are missing, so the line breaks there."""
    weeks: list[date] = []
    ranks: list[float] = []
    for week, rank in points:
        if weeks and (week - weeks[-1]).days > 7:
            weeks.append(weeks[-1] + timedelta(days=7))
            ranks.append(float("nan"))
        weeks.append(week)
        ranks.append(float(rank))
    return weeks, ranks


def _tick(value: float, _position: int | None) -> str:
    """A week on the axis as the language in force writes a short date (28 Jun, 28 juin)."""
    return short_day(num2date(value).date())  # type: ignore[no-untyped-call]
