"""Cut small real slices of Netflix's engagement reports for the tests (a maintainer's tool).

    .venv/bin/python tests/data/engagement/make_slices.py [../shared/data/engagement]

Each slice keeps a report's own banner lines, header and sheet names, the first rows of each
sheet and the rows of the titles the tests talk about, cell values unchanged (openpyxl writes
them again, so the XML differs from Netflix's but every value is theirs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook, load_workbook

HERE = Path(__file__).resolve().parent
KEEP_FIRST = 12
TITLES = (
    "War Machine", "Anaconda", "Anaconda (1997)", "Backtrace", "KPop Demon Hunters", "Dude",
    "Thug Life (2017)", "Ladies First", "Suits (2011): Season 1", "Suits (2011): Season 2",
    "365 Days (2020)", "365 Days: This Day", "Manifest: Season 1", "Manifest: Season 4",
    "Nothing to Lose // Nada a Perder – Parte 1", "The Mummy (1999)", "The Mummy (2017)",
    "Squid Game: Season 2 // 오징어 게임: 시즌 2", "Stranger Things 4", "Stranger Things: Season 4",
    "Ozark: Season 4", "Hop", "Top Gun", "Sing 2", "Tower Heist",
)  # fmt: skip


def slice_report(source: Path, target: Path) -> None:
    book = load_workbook(source, read_only=True)
    out = Workbook()
    out.remove(out.active)
    for sheet in book.worksheets:
        copy = out.create_sheet(sheet.title)
        kept = 0
        header_seen = False
        for row in sheet.iter_rows(values_only=True):
            if not header_seen:
                copy.append(list(row))
                header_seen = "Title" in row
                continue
            title = row[1] if len(row) > 1 else None
            if kept < KEEP_FIRST or title in TITLES:
                copy.append(list(row))
                kept += 1
    out.save(target)


def main() -> int:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared/data/engagement"
    for source in sorted(shared.glob("*.xlsx")):
        period = source.stem.rsplit("_", 1)[-1]  # 2023Jan-Jun
        target = HERE / f"report_{period}_slice.xlsx"
        slice_report(source, target)
        print(target.name, target.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
