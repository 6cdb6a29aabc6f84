"""The rank-history picture: a title's weekly rank in several lists, as PNG bytes (matplotlib)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display, and thread-safe enough for one figure at a time

from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.regions import region_name  # noqa: E402

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
        axes.text(0.5, 0.5, "never in a top 10 I hold", ha="center", va="center",
                  transform=axes.transAxes)  # fmt: skip
    axes.set_ylim(10.5, 0.5)
    axes.set_yticks(range(1, 11))
    axes.set_ylabel("rank")
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes.grid(alpha=0.3)
    shown = len(ordered[:MAX_LINES])
    extra = f" (+{len(ordered) - shown} more regions)" if len(ordered) > shown else ""
    axes.set_title(f"{title} — weekly rank{extra}", fontsize=11)
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
