"""The bundled title records (bot/data/titles.csv.gz): one compact CSV, one row per record.

Written by tools/build_title_bundle.py from the real files credited in bot/data/README.md, read at
start-up (or into the store) as TitleRecords. A row keeps its source and date, so every fact the
bot shows can say where it came from.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path

from bot.errors import SourceError
from bot.titles.records import TitleRecord

BUNDLE = Path(__file__).resolve().parent.parent / "data" / "titles.csv.gz"
COLUMNS = (
    "source", "as_of", "name", "kind", "year", "year_suffix", "season", "season_label",
    "netflix_release", "licensed", "runtime", "original", "ref", "imdb_id", "imdb_score",
    "imdb_votes", "tmdb_score", "tmdb_votes", "popularity", "views", "hours", "genres",
    "countries", "language", "key",
)  # fmt: skip


def write_records(records: Iterable[TitleRecord], path: Path) -> int:
    """Write records as gzipped CSV (deterministic bytes: no timestamp in the gzip header)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for r in records:
        writer.writerow(
            (
                r.source, r.as_of.isoformat(), r.name, r.kind or "", _s(r.year),
                _s(r.year_suffix), _s(r.season), r.season_label or "",
                r.netflix_release.isoformat() if r.netflix_release else "",
                "" if r.licensed is None else int(r.licensed), _s(r.runtime_minutes),
                r.original_name or "", r.ref or "", r.imdb_id or "", _s(r.imdb_score),
                _s(r.imdb_votes), _s(r.tmdb_score), _s(r.tmdb_votes), _s(r.popularity),
                _s(r.views), _s(r.hours), "|".join(r.genres), "|".join(r.countries),
                r.language or "", r.key,
            )
        )  # fmt: skip
        count += 1
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))
    return count


def read_records(
    path: Path = BUNDLE, keep: Callable[[list[str]], bool] | None = None
) -> Iterator[TitleRecord]:
    """Every record of a bundle file (or those whose raw row `keep` accepts); SourceError naming
    the line if one is malformed."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = tuple(next(reader, ()))
            if header != COLUMNS:
                raise SourceError(f"{path}: not a trendbot title bundle (header {header[:3]})")
            for row in reader:
                if keep is None or keep(row):
                    yield _record(row, path, reader.line_num)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: unreadable title bundle ({type(exc).__name__})") from None


SOURCE, AS_OF, REF, IMDB_ID, KEY = (
    COLUMNS.index(c) for c in ("source", "as_of", "ref", "imdb_id", "key")
)


def raw_rows(path: Path = BUNDLE) -> Iterator[list[str]]:
    """The bundle's rows as text, unchecked (a quick scan; read_records checks them)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            if tuple(next(reader, ())) != COLUMNS:
                raise SourceError(f"{path}: not a trendbot title bundle")
            for row in reader:
                if len(row) == len(COLUMNS):
                    yield row
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: unreadable title bundle ({type(exc).__name__})") from None


_INTS = {"year", "year_suffix", "season", "runtime", "imdb_votes", "tmdb_votes", "views", "hours"}
_FLOATS = {"imdb_score", "tmdb_score", "popularity"}
_TEXT_OR_NONE = {"kind", "season_label", "netflix_release", "original", "ref", "imdb_id",
                 "language"}  # fmt: skip


def read_rows(path: Path = BUNDLE) -> Iterator[tuple[object, ...]]:
    """The bundle's rows as typed tuples in COLUMNS order (the store's fast load path: no
    TitleRecord per row); SourceError naming the line if one is malformed."""
    converters = [_converter(name) for name in COLUMNS]
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            if tuple(next(reader, ())) != COLUMNS:
                raise SourceError(f"{path}: not a trendbot title bundle")
            for row in reader:
                if len(row) != len(COLUMNS):
                    raise SourceError(f"{path} line {reader.line_num}: {len(row)} fields")
                try:
                    yield tuple(
                        convert(value) for convert, value in zip(converters, row, strict=True)
                    )
                except ValueError as exc:
                    raise SourceError(f"{path} line {reader.line_num}: {exc}") from None
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: unreadable title bundle ({type(exc).__name__})") from None


def _converter(name: str) -> Callable[[str], object]:
    if name in _INTS:
        return _i
    if name in _FLOATS:
        return _f
    if name == "licensed":
        return lambda text: None if text == "" else int(text == "1")
    if name in _TEXT_OR_NONE:
        return lambda text: text or None
    return str


def _record(row: list[str], path: Path, line: int) -> TitleRecord:
    if len(row) != len(COLUMNS):
        raise SourceError(f"{path} line {line}: {len(row)} fields, not {len(COLUMNS)}")
    (source, as_of, name, kind, year, year_suffix, season, season_label, release, licensed,
     runtime, original, ref, imdb_id, imdb_score, imdb_votes, tmdb_score, tmdb_votes, popularity,
     views, hours, genres, countries, language, key) = row  # fmt: skip
    try:
        return TitleRecord(
            source, date.fromisoformat(as_of), name,
            "movie" if kind == "movie" else "show" if kind == "show" else None,
            _i(year), _i(year_suffix), _i(season), season_label or None,
            date.fromisoformat(release) if release else None,
            None if licensed == "" else licensed == "1", _i(runtime), original or None,
            ref or None, imdb_id or None, _f(imdb_score), _i(imdb_votes), _f(tmdb_score),
            _i(tmdb_votes), _f(popularity), _i(views), _i(hours),
            tuple(genres.split("|")) if genres else (),
            tuple(countries.split("|")) if countries else (), language or None, key,
        )  # fmt: skip
    except ValueError as exc:
        raise SourceError(f"{path} line {line}: {exc}") from None


def _s(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _i(text: str) -> int | None:
    return int(text) if text else None


def _f(text: str) -> float | None:
    return float(text) if text else None
