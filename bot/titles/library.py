"""The title library: bundled records plus any title files given, as one book with scores.

Reads what `--titles PATH…` may name — Netflix engagement reports (XLSX), title CSVs (catalogue
snapshots, TMDB's popular films, 2025H1 matched rows), IMDb's dataset files, a trendbot bundle —
telling them apart by content. IMDb's title.basics is streamed and kept only for the names asked
about (a 200 MB file stays a few MB in memory); title.ratings then only for those titles.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.errors import SourceError
from bot.judge.expectation import franchise_key
from bot.judge.identity import Identity
from bot.models import Score, Scores
from bot.sources import engagement, imdb, titlefiles
from bot.titles import bundle
from bot.titles.book import TitleBook
from bot.titles.records import TitleRecord
from bot.titles.scoring import facts_scores

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024**3  # title files are read as streams; this only refuses absurd ones


class TitleLibrary:
    """Every title record known offline, merged per name, plus the catalog's critics scores."""

    def __init__(
        self, records: Iterable[TitleRecord], critics: Mapping[str, Sequence[Score]]
    ) -> None:
        records = list(records)
        self.book = TitleBook(records)
        self._critics = critics
        self._film_names: dict[int, set[str]] = {}
        for record in records:
            if record.kind == "movie" and record.year is not None:
                self._film_names.setdefault(record.year, set()).add(record.name)
        self._franchises: dict[int, frozenset[str]] = {}

    def new_films(self, year: int) -> frozenset[str]:
        """Franchise keys of films released in `year` (a sequel in cinemas revives the old one)."""
        found = self._franchises.get(year)
        if found is None:
            names = self._film_names.get(year, ())
            found = self._franchises[year] = frozenset(franchise_key(n) for n in names)
        return found

    def scores_for(self, identity: Identity) -> Scores:
        if identity.title is None or not identity.confident:
            return Scores()
        return facts_scores(identity.title, self._critics)


def load_library(
    paths: Sequence[Path] = (),
    critics: Mapping[str, Sequence[Score]] | None = None,
    wanted_keys: Collection[str] | None = None,
    today: date | None = None,
) -> TitleLibrary:
    """The bundled records plus those read from `paths`; SourceError names a bad file.

    IMDb's title.basics keeps only `wanted_keys` (all when None); title.ratings then only the
    titles kept, so both stream through with flat memory.
    """
    day = today or date.today()
    records = list(bundled_records())
    ratings_files = []
    for path in paths:
        kind = file_kind(path)
        if kind == "imdb-ratings":
            ratings_files.append(path)
        elif kind == "imdb-basics":
            with imdb.open_text(path) as handle:
                records.extend(
                    r for r in imdb.basics(handle, path.name, day)
                    if wanted_keys is None or r.key in wanted_keys
                )  # fmt: skip
        else:
            records.extend(read_title_file(path, kind))
    if ratings_files:
        records = _rated(records, ratings_files)
    return TitleLibrary(records, critics or {})


@functools.cache
def bundled_records() -> tuple[TitleRecord, ...]:
    """The bundled records, read once per process (replays and tests share them)."""
    return tuple(bundle.read_records())


def file_kind(path: Path) -> str:
    """'report', 'bundle', 'imdb-basics', 'imdb-ratings' or 'csv', by content."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise SourceError(f"{path}: {size:,} bytes is more than a title file can be")
    if head.startswith(b"PK"):
        return "report"
    if head.startswith(b"\x1f\x8b"):
        with imdb.open_text(path) as text:
            first = text.readline()
        if first.startswith(bundle.COLUMNS[0] + ","):
            return "bundle"
        head = first.encode()
    text_head = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text_head.startswith("tconst\taverageRating"):
        return "imdb-ratings"
    if text_head.startswith("tconst\t"):
        return "imdb-basics"
    return "csv"


def read_title_file(path: Path, kind: str | None = None) -> list[TitleRecord]:
    """Records from a report, a bundle or a title CSV (IMDb files go through load_library)."""
    kind = kind or file_kind(path)
    if kind == "report":
        return list(engagement.records(engagement.parse_report(path.read_bytes(), path.name)))
    if kind == "bundle":
        return list(bundle.read_records(path))
    if kind.startswith("imdb"):
        raise SourceError(f"{path}: IMDb files are read with the others (load_library)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text; title files are UTF-8 CSV") from None
    return titlefiles.parse(text, path.name)


def _rated(records: list[TitleRecord], ratings_files: Sequence[Path]) -> list[TitleRecord]:
    """Attach IMDb ratings to the IMDb records kept, streaming the ratings files."""
    wanted = {r.ref for r in records if r.family == "imdb" and r.ref}
    found: dict[str, imdb.Rating] = {}
    for path in ratings_files:
        with imdb.open_text(path) as handle:
            for rating in imdb.ratings(handle, path.name):
                if rating.tconst in wanted:
                    found[rating.tconst] = rating
    return [
        replace(r, imdb_score=found[r.ref].score, imdb_votes=found[r.ref].votes)
        if r.family == "imdb" and r.ref in found
        else r
        for r in records
    ]
