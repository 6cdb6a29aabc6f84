"""Re-check the labelled press cases against Netflix's weekly Top 10 files (test-data tooling)."""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[3] / "shared" / "data"
COUNTRIES_TSV = Path("netflix/all-weeks-countries_2021-07-04_to_2022-11-13.tsv")
GLOBAL_TSV = Path("netflix/all-weeks-global.tsv")
CASE_FILES = ("press_surprises.csv", "press_not_surprises.csv")
SPLIT_FILE = "split.csv"
DATA_START = "2021-07-04"  # first week of both chart files: an entry that week cannot be confirmed
SPLIT_SEED = 12  # the issue number; change it only together with split.csv
TUNE_SHARE = 0.4

COLUMNS = (
    "case_id",
    "title_in_chart",
    "season_title",
    "kind",
    "list",
    "regions",
    "first_week",
    "title_year",
    "licensed",
    "why_surprising",
    "source_url",
    "publisher",
    "published",
    "paraphrase",
    "label",
)
LABEL_OF_FILE = {"press_surprises.csv": "surprise", "press_not_surprises.csv": "expected"}

Row = dict[str, str]
# (show_title, season_title, "Films"|"TV") -> {(iso2, week)}
CountryIndex = dict[tuple[str, str, str], set[tuple[str, str]]]
# (show_title, season_title, "film"|"tv") -> {week}
GlobalIndex = dict[tuple[str, str, str], set[str]]


def read_rows(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_countries(path: Path) -> CountryIndex:
    index: CountryIndex = defaultdict(set)
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            key = (r["show_title"], r["season_title"], r["category"])
            index[key].add((r["country_iso2"], r["week"]))
    return index


def load_global(path: Path) -> GlobalIndex:
    index: GlobalIndex = defaultdict(set)
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            kind = "film" if r["category"].startswith("Films") else "tv"
            index[(r["show_title"], r["season_title"], kind)].add(r["week"])
    return index


def week_before(week: str) -> str:
    return (date.fromisoformat(week) - timedelta(days=7)).isoformat()


def check_shape(row: Row, expected_label: str) -> list[str]:
    """Problems a case has on its own, before looking at any chart."""
    problems = [f"empty {c}" for c in COLUMNS if c != "season_title" and not row.get(c)]
    if row.get("label") != expected_label:
        problems.append(f"label {row.get('label')!r}, this file holds {expected_label!r}")
    if row.get("kind") not in ("film", "tv"):
        problems.append(f"kind {row.get('kind')!r}")
    if row.get("list") not in ("countries", "global"):
        problems.append(f"list {row.get('list')!r}")
    if row.get("licensed") not in ("yes", "no", "unknown"):
        problems.append(f"licensed {row.get('licensed')!r}")
    regions = row.get("regions", "").split()
    if row.get("list") == "global" and regions != ["GLOBAL"]:
        problems.append("regions must be GLOBAL on a global list")
    if row.get("list") == "countries" and not all(
        len(r) == 2 and r.isascii() and r.isupper() for r in regions
    ):
        problems.append(f"regions {row.get('regions')!r} are not ISO2 codes")
    if (row.get("kind") == "tv") != bool(row.get("season_title")):
        problems.append("season_title must be set for tv and only for tv")
    try:
        if date.fromisoformat(row["first_week"]).weekday() != 6:
            problems.append("first_week is not a Sunday (Netflix weeks end on Sunday)")
    except (KeyError, ValueError):
        problems.append(f"first_week {row.get('first_week')!r} is not a date")
    return problems


def check_chart(row: Row, countries: CountryIndex, global_: GlobalIndex) -> list[str]:
    """Problems with the claim 'this title entered these lists in first_week'."""
    week, season = row["first_week"], row["season_title"] or "N/A"
    before = week_before(week)
    if row["list"] == "global":
        weeks = global_.get((row["title_in_chart"], season, row["kind"]), set())
        if week not in weeks:
            return [f"not on a global {row['kind']} list in {week}"]
        if before in weeks:
            return [f"already on the global list in {before}: not an entry"]
        if week == DATA_START:
            return [f"{week} is the first week of the data: entry cannot be confirmed"]
        return []
    category = "Films" if row["kind"] == "film" else "TV"
    cells = countries.get((row["title_in_chart"], season, category), set())
    if not cells:
        return ["title/season not found in the country lists"]
    problems = []
    for region in row["regions"].split():
        if (region, week) not in cells:
            problems.append(f"{region}: not in the list in {week}")
        elif (region, before) in cells:
            problems.append(f"{region}: already in the list in {before}: not an entry")
        elif week == DATA_START:
            problems.append(f"{region}: {week} is the first week of the data")
    return problems


def make_split(cases: Iterable[Row], seed: int = SPLIT_SEED) -> dict[str, str]:
    """tune/holdout per case, seeded and stratified by label, list and kind."""
    strata: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for c in cases:
        strata[(c["label"], c["list"], c["kind"])].append(c["case_id"])
    rng = random.Random(seed)
    parts: dict[str, str] = {}
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        n_tune = round(len(ids) * TUNE_SHARE)
        for i, case_id in enumerate(ids):
            parts[case_id] = "tune" if i < n_tune else "holdout"
    return parts


def check_split(cases: Sequence[Row], split_rows: Sequence[Row]) -> list[str]:
    expected = make_split(cases)
    found = {r["case_id"]: r["part"] for r in split_rows}
    problems = [
        f"{cid}: split says {found.get(cid)!r}, seed {SPLIT_SEED} gives {part!r}"
        for cid, part in sorted(expected.items())
        if found.get(cid) != part
    ]
    problems += [
        f"{cid}: in split.csv but not a case" for cid in sorted(set(found) - set(expected))
    ]
    return problems


def write_split(cases: Sequence[Row], path: Path) -> None:
    parts = make_split(cases)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["case_id", "part"])
        for c in cases:
            w.writerow([c["case_id"], parts[c["case_id"]]])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data dir")
    parser.add_argument("--write-split", action="store_true", help="rewrite split.csv from seed")
    args = parser.parse_args(argv)

    problems: list[str] = []
    cases: list[Row] = []
    for name in CASE_FILES:
        with (HERE / name).open(newline="", encoding="utf-8") as f:
            header = tuple(next(csv.reader(f), []))
        if header != COLUMNS:
            problems.append(f"{name}: columns {header} are not {COLUMNS}")
        for row in read_rows(HERE / name):
            cases.append(row)
            problems += [
                f"{row.get('case_id')}: {p}" for p in check_shape(row, LABEL_OF_FILE[name])
            ]
    ids = [c["case_id"] for c in cases]
    problems += [
        f"{cid}: duplicate case_id" for cid in sorted({i for i in ids if ids.count(i) > 1})
    ]

    if args.write_split:
        write_split(cases, HERE / SPLIT_FILE)
    problems += check_split(cases, read_rows(HERE / SPLIT_FILE))

    if not (args.shared / COUNTRIES_TSV).is_file() or not (args.shared / GLOBAL_TSV).is_file():
        print(f"skipped the chart checks: {args.shared} does not hold the Netflix files")
    else:
        countries = load_countries(args.shared / COUNTRIES_TSV)
        global_ = load_global(args.shared / GLOBAL_TSV)
        for c in cases:
            if not check_shape(c, c["label"]):
                problems += [f"{c['case_id']}: {p}" for p in check_chart(c, countries, global_)]

    for p in problems:
        print(p)
    print(f"{len(cases)} cases, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
