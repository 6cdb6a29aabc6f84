"""What every benchmark shares: the result line, best-of-N timing, and where the full data lives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COUNTRIES = SHARED / "netflix" / "all-weeks-countries_2021-07-04_to_2022-11-13.tsv"


@dataclass(frozen=True)
class Result:
    name: str
    ratio: float | None  # None when skipped
    goal: float
    lower_is_better: bool = True
    detail: str = ""
    flaws: tuple[str, ...] = ()  # broken promises (lost or duplicate messages): FAIL at any ratio

    @property
    def ok(self) -> bool:
        if self.ratio is None:
            return True
        if self.flaws:
            return False
        return self.ratio <= self.goal if self.lower_is_better else self.ratio >= self.goal

    def line(self) -> str:
        if self.ratio is None:
            return f"{self.name} skipped goal={self.goal:g} ({self.detail})"
        verdict = "ok" if self.ok else "FAIL"
        said = "; ".join(part for part in (*self.flaws, self.detail) if part)
        tail = f" ({said})" if said else ""
        return f"{self.name} ratio={self.ratio:.2f} goal={self.goal:g} {verdict}{tail}"


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings, in seconds (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best
