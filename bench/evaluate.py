"""Is the surprise judgement right? Recall, precision and alert volume on the real charts.

    .venv/bin/python -m bench.evaluate [--report FILE.md]

Replays the 2021–22 country lists and the 2021–26 global lists from ../shared/data with the
bundled title sources, then scores the alerts against tests/data/eval (press reports of surprise
hits and cases the press explained, each with its source; weights were tuned on the "tune" part,
the figures below are the "holdout" part unless said otherwise). One more check is honest about
Netflix launches the sources cannot know: the first half of 2025 is judged with the title sources
as they stood at the end of 2024, and Netflix's 2025H1 report then says which entries were
launches. Prints the bench result lines (`make bench`), and a fuller report with --report.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from bench.common import COUNTRIES, SHARED, Result
from bench.evaluation import Scorecard, load_cases, scorecard
from bot.judge import surprise
from bot.judge.identity import lookup_key
from bot.judge.week import Judged
from bot.replay import replay
from bot.sources import catalog as catalog_source
from bot.sources import engagement
from bot.sources.netflix import parse_top10
from bot.titles import bundle
from bot.titles.library import TitleLibrary
from bot.titles.records import TMDB_POPULAR, TitleRecord

GLOBAL = SHARED / "netflix" / "all-weeks-global.tsv"
REPORT_2025H1 = (
    SHARED / "engagement" / "What_We_Watched_A_Netflix_Engagement_Report_2025Jan-Jun.xlsx"
)
HELD_OUT = ("netflix-report:2025H1", "tmdb:2025H1", "tvmaze:2025H1", f"{TMDB_POPULAR}:2025")
END_2024 = date(2024, 12, 31)
LAUNCH_RATE_GOAL = 1 / 300


def judged(path: Path, library: TitleLibrary) -> list[Judged]:
    charts = parse_top10(path.read_bytes(), path.name)
    return list(replay(charts, library.book, library.scores_for, new_films=library.new_films))


def as_of_2024(records: list[TitleRecord]) -> list[TitleRecord]:
    """The title sources as they stood at the end of 2024 (2025's report and lists left out)."""
    kept = []
    for record in records:
        if record.source in HELD_OUT:
            continue
        if record.as_of > END_2024:  # TMDB's yearly lists were taken in mid-2025
            record = replace(record, as_of=END_2024)
        kept.append(record)
    return kept


def launches_2025h1() -> dict[tuple[str, str], date]:
    """(kind, name key) → Netflix release date, for titles released in 2025H1."""
    report = engagement.parse_report(REPORT_2025H1.read_bytes(), REPORT_2025H1.name)
    found = {}
    for record in engagement.records(report):
        release = record.netflix_release
        if release is not None and release >= date(2025, 1, 1) and record.kind is not None:
            found[(record.kind, record.key)] = release
    return found


def launch_alarms(entries: list[Judged], launches: dict[tuple[str, str], date]) -> tuple[int, int]:
    """(alerts on launch-week entries, launch-week entries) in the global lists of 2025H1."""
    count = alarms = 0
    for j in entries:
        if not (date(2025, 1, 5) <= j.week <= date(2025, 6, 29)) or not j.movement.entered:
            continue
        kind = "movie" if j.key.category == "films" else "show"
        release = launches.get((kind, lookup_key(j.movement.title)))
        if release is None or not j.week - timedelta(days=13) <= release <= j.week:
            continue
        count += 1
        alarms += surprise.is_surprise(j.surprise)
    return alarms, count


def line(card: Scorecard) -> str:
    return (
        f"recall {card.recall:.2f} ({card.found}/{card.cases}), precision {card.precision:.2f} "
        f"({card.false_alarms} false alarms on {card.negatives} expected cases), "
        f"{card.alerts} alerts = {card.events} events, per country-week median "
        f"{card.median_per_country_week:g} p90 {card.p90_per_country_week:g}, TV alerts "
        f"{card.tv_alerts} of which season launches {card.tv_season_launches}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--report", type=Path, help="also write a Markdown report here")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print("evaluate skipped goal=0.6 (../shared/data is not beside this checkout)")
        return
    critics = catalog_source.load_catalog().scores
    records = list(bundle.read_records())
    library = TitleLibrary(records, critics)
    cases = load_cases()
    holdout = [c for c in cases if c.part == "holdout"]
    countries = judged(COUNTRIES, library)
    world = judged(GLOBAL, library)
    c_card = scorecard(countries, holdout, "countries")
    g_card = scorecard(world, holdout, "global")
    c_all = scorecard(countries, cases, "countries")
    g_all = scorecard(world, cases, "global")
    past = TitleLibrary(as_of_2024(records), critics)
    alarms, launches = launch_alarms(judged(GLOBAL, past), launches_2025h1())
    rate = alarms / launches if launches else 0.0
    tv_share = c_card.tv_season_launches / c_card.tv_alerts if c_card.tv_alerts else 0.0
    results = [
        Result("evaluate_countries_recall", c_card.recall, 0.6, False, line(c_card)),
        Result("evaluate_countries_precision", c_card.precision, 0.8, False),
        Result("evaluate_countries_p90_per_country_week", c_card.p90_per_country_week, 1.0),
        Result("evaluate_tv_alerts_that_are_season_launches", tv_share, 0.05),
        Result("evaluate_global_launch_weeks_alerting", rate, LAUNCH_RATE_GOAL, True,
               f"{alarms} of {launches} launch-week entries in 2025H1, sources as of 2024"),
        Result("evaluate_global_recall", g_card.recall, 0.5, False, line(g_card)),
    ]  # fmt: skip
    for result in results:
        print(result.line())
    if args.report:
        args.report.write_text(_report(c_card, g_card, c_all, g_all, alarms, launches, countries))


def _report(
    c_card: Scorecard,
    g_card: Scorecard,
    c_all: Scorecard,
    g_all: Scorecard,
    alarms: int,
    launches: int,
    countries: list[Judged],
) -> str:
    expected = Counter(
        j.expected.code.value if j.expected else "unexplained"
        for j in countries
        if j.movement.entered
    )
    identity = Counter(j.identity.status.value for j in countries)
    rows = len(countries)
    lines = [
        "# Surprise evaluation",
        "",
        f"- 2021–22 countries, holdout: {line(c_card)}",
        f"- 2021–22 countries, all cases: {line(c_all)}",
        f"- 2021–26 global, holdout: {line(g_card)}",
        f"- 2021–26 global, all cases: {line(g_all)}",
        f"- 2025H1 global launch-week entries alerting (sources as of 2024): {alarms}/{launches}",
        "",
        "Identity on the country lists: "
        + ", ".join(f"{k} {v / rows:.1%}" for k, v in identity.most_common()),
        "",
        "What explained the entries into a country list: "
        + ", ".join(f"{k} {v}" for k, v in expected.most_common()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
