"""Measuring the surprise judgement against labelled cases: recall, precision, alert volume.

Labels (tests/data/eval): press reports of surprise hits, each with its source, and cases the
press itself explained (launches, sequels); Netflix's own release dates add launch-week entries
as negatives. A case counts as found when an alert fires for that title in one of its regions
within two weeks of the week it entered. Judged entries are re-scored with other weights without
replaying (scores are pure), which is how the weights were tuned on the "tune" part only.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from bot.judge import surprise
from bot.judge.surprise import Weights
from bot.judge.week import Judged
from bot.models import GLOBAL

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "eval"
WINDOW = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    title: str
    kind: str  # film | tv
    listing: str  # countries | global
    regions: frozenset[str]
    first_week: date
    label: str  # surprise | expected
    part: str  # tune | holdout


@dataclass(frozen=True, slots=True)
class Scorecard:
    cases: int
    found: int
    negatives: int
    false_alarms: int
    alerts: int
    events: int
    median_per_country_week: float
    p90_per_country_week: float
    tv_alerts: int
    tv_season_launches: int

    @property
    def recall(self) -> float:
        return self.found / self.cases if self.cases else 0.0

    @property
    def precision(self) -> float:
        hits = self.found + self.false_alarms
        return self.found / hits if hits else 1.0


def load_cases(directory: Path = EVAL) -> list[Case]:
    parts = {}
    split = directory / "split.csv"
    if split.exists():
        with split.open(encoding="utf-8") as handle:
            parts = {row["case_id"]: row["part"] for row in csv.DictReader(handle)}
    cases = []
    for name in ("press_surprises.csv", "press_not_surprises.csv"):
        path = directory / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                cases.append(
                    Case(
                        case_id=row["case_id"],
                        title=row["title_in_chart"],
                        kind=row["kind"],
                        listing=row["list"],
                        regions=frozenset(row["regions"].split()),
                        first_week=date.fromisoformat(row["first_week"]),
                        label=row["label"],
                        part=parts.get(row["case_id"], "holdout"),
                    )
                )
    return cases


def rescore(entries: Iterable[Judged], weights: Weights) -> list[Judged]:
    """The same entries judged with other weights (identity and expectation unchanged)."""
    return [
        replace(
            j,
            surprise=surprise.score(
                j.key, j.week, j.movement, j.identity, j.scores, j.expected, weights
            ),
        )
        for j in entries
    ]


def scorecard(
    entries: Sequence[Judged],
    cases: Sequence[Case],
    listing: str,
    threshold: int = surprise.DEFAULT_THRESHOLD,
    launches: Iterable[tuple[str, str, date]] = (),
) -> Scorecard:
    """Recall on the surprise cases, precision against the negatives, and alert volume."""
    alerts = [j for j in entries if surprise.is_surprise(j.surprise, threshold)]
    by_title: dict[tuple[str, str], list[Judged]] = defaultdict(list)
    for j in alerts:
        by_title[(_kind(j), j.movement.title)].append(j)
    wanted = [c for c in cases if c.listing == listing]
    positives = [c for c in wanted if c.label == "surprise"]
    found = sum(1 for c in positives if _alerted(c, by_title))
    negatives = [c for c in wanted if c.label != "surprise"]
    false_alarms = sum(1 for c in negatives if _alerted(c, by_title))
    launch_alarms, launch_count = _launch_alarms(alerts, launches)
    per_country_week = Counter(
        (j.key.region, j.week)
        for j in {(j.key.region, j.week, j.group): j for j in alerts}.values()
    )
    weeks = sorted({j.week for j in entries})
    regions = sorted({j.key.region for j in entries if j.key.region != GLOBAL} or {GLOBAL})
    volumes = [per_country_week.get((r, w), 0) for r in regions for w in weeks]
    tv = [j for j in alerts if j.key.category == "tv"]
    return Scorecard(
        cases=len(positives),
        found=found,
        negatives=len(negatives) + launch_count,
        false_alarms=false_alarms + launch_alarms,
        alerts=len(alerts),
        events=len({j.group for j in alerts}),
        median_per_country_week=statistics.median(volumes) if volumes else 0.0,
        p90_per_country_week=_percentile(volumes, 0.9),
        tv_alerts=len(tv),
        tv_season_launches=sum(1 for j in tv if _season_launch(j)),
    )


def _kind(j: Judged) -> str:
    return "film" if j.key.category == "films" else "tv"


def _alerted(case: Case, by_title: dict[tuple[str, str], list[Judged]]) -> bool:
    for j in by_title.get((case.kind, case.title), ()):
        if abs(j.week - case.first_week) > WINDOW:
            continue
        if case.listing == "global" or not case.regions or j.key.region in case.regions:
            return True
    return False


def _launch_alarms(
    alerts: Sequence[Judged], launches: Iterable[tuple[str, str, date]]
) -> tuple[int, int]:
    """(alerts on a Netflix launch week, launch-week entries): (kind, title, week) triples."""
    launch_set = set(launches)
    alarms = sum(1 for j in alerts if (_kind(j), j.movement.title, j.week) in launch_set)
    return alarms, len(launch_set)


def _season_launch(j: Judged) -> bool:
    number = j.identity.season_number
    return number is not None and number >= 2 and j.movement.weeks_in_top10 <= 2


def _percentile(values: Sequence[int], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])
