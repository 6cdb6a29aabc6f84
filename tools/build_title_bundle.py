"""Rebuild bot/data/titles.csv.gz from the real files in ../shared/data (a maintainer's tool).

    .venv/bin/python tools/build_title_bundle.py [--shared ../shared/data]

Reads Netflix's engagement reports (2023H1–2025H1), the two Kaggle/JustWatch Netflix catalogue
snapshots (2022-07, 2023-03), TMDB's popular films per year (2010–2025) and the 2025H1 report rows
matched to TMDB/TVmaze, keeps only the fields trendbot uses (never IMDb's own datasets, and none of
the IMDb-derived columns of the 2025H1 files), and writes them in a stable order so the bundle's
bytes only change when its inputs do. bot/data/README.md credits each source.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sources import engagement, titlefiles  # noqa: E402
from bot.titles.bundle import BUNDLE, write_records  # noqa: E402
from bot.titles.records import TitleRecord  # noqa: E402

CATALOGS = (
    ("reviews/netflix_titles_imdb_tmdb.csv", date(2022, 7, 1)),
    ("titles/dgoenrique_netflix_titles_2023-03.csv", date(2023, 3, 1)),
)
OTHERS = (
    "titles/tmdb_movies_2010-2025_top1000perYear.csv",
    "titles/sentimental-value_NetflixMovies_2025H1_enriched.csv",
    "titles/sentimental-value_NetflixTV_2025H1_enriched.csv",
)


def collect(shared: Path) -> list[TitleRecord]:
    records: list[TitleRecord] = _first_and_last(
        record
        for report in sorted((shared / "engagement").glob("*.xlsx"))
        for record in engagement.records(engagement.parse_report(report.read_bytes(), report.name))
    )
    for name, as_of in CATALOGS:
        text = (shared / name).read_text(encoding="utf-8-sig")
        records.extend(titlefiles.parse_catalog(text, name, as_of))
    for name in OTHERS:
        records.extend(titlefiles.parse((shared / name).read_text(encoding="utf-8-sig"), name))
    return sorted(records, key=lambda r: (r.key, r.kind or "", r.source, r.season or 0, r.name))


def _first_and_last(records: Iterable[TitleRecord]) -> list[TitleRecord]:
    """A title's rows from the first and the last report that list it (the ones between add
    nothing the bot uses: every listing within 400 days of one of them is covered)."""
    by_title: dict[tuple[object, ...], list[TitleRecord]] = {}
    for record in records:
        same = (record.key, record.kind, record.season, record.year_suffix, record.netflix_release)
        by_title.setdefault(same, []).append(record)
    kept = []
    for rows in by_title.values():
        rows.sort(key=lambda r: r.as_of)
        kept.extend(rows if len(rows) <= 2 else (rows[0], rows[-1]))
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=BUNDLE)
    args = parser.parse_args()
    count = write_records(collect(args.shared), args.out)
    print(f"{args.out}: {count:,} records, {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
