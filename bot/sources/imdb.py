"""IMDb's non-commercial datasets (title.basics / title.ratings, gzipped TSV, `\\N` for null).

Downloaded by the operator's own bot (opt-in: personal, non-commercial licence; never bundled).
Read as a stream, a line at a time, keeping only films, TV series and mini-series that are not
adult, so a 200 MB file is read with flat memory. A file whose header is not IMDb's is refused.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from bot.errors import SourceError
from bot.titles.records import IMDB, TitleRecord

BASICS_HEADER = (
    "tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
    "runtimeMinutes", "genres",
)  # fmt: skip
RATINGS_HEADER = ("tconst", "averageRating", "numVotes")
KINDS = {"movie": "movie", "tvSeries": "show", "tvMiniSeries": "show"}
_NULL = "\\N"


@dataclass(frozen=True, slots=True)
class Rating:
    tconst: str
    score: float
    votes: int


def open_text(path: Path) -> IO[str]:
    """A dataset file as text, gunzipped when it is gzip (IMDb ships .tsv.gz)."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline="\n")
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")


def basics(lines: Iterable[str], origin: str, as_of: date) -> Iterator[TitleRecord]:
    """Films and series from title.basics, streamed; other types and adult titles skipped."""
    rows = _rows(lines, origin, BASICS_HEADER)
    for number, cells in rows:
        kind = KINDS.get(cells[1])
        if kind is None or cells[4] == "1":
            continue
        name = cells[2].strip()
        if not name:
            continue
        yield TitleRecord(
            source=IMDB,
            as_of=as_of,
            name=name,
            kind="movie" if kind == "movie" else "show",
            year=_int(cells[5], origin, number),
            runtime_minutes=_int(cells[7], origin, number) if kind == "movie" else None,
            ref=cells[0],
            imdb_id=cells[0],
            original_name=cells[3] if cells[3] not in (_NULL, cells[2]) else None,
            genres=tuple(g.casefold() for g in cells[8].split(",")) if cells[8] != _NULL else (),
        )


def ratings(lines: Iterable[str], origin: str) -> Iterator[Rating]:
    """title.ratings rows, streamed."""
    for number, cells in _rows(lines, origin, RATINGS_HEADER):
        try:
            score, votes = float(cells[1]), int(cells[2])
        except ValueError:
            raise SourceError(f"{origin} line {number}: not a rating: {cells[1:]!r}") from None
        if not 0 <= score <= 10 or votes < 0:
            raise SourceError(f"{origin} line {number}: rating out of range")
        yield Rating(cells[0], score, votes)


def _rows(
    lines: Iterable[str], origin: str, header: tuple[str, ...]
) -> Iterator[tuple[int, list[str]]]:
    iterator = iter(lines)
    try:
        first = next(iterator, "")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceError(f"{origin}: unreadable ({type(exc).__name__})") from None
    if tuple(first.rstrip("\r\n").split("\t")) != header:
        raise SourceError(
            f"{origin}: not IMDb's {'title.basics' if header is BASICS_HEADER else 'title.ratings'}"
            f" file (header {first[:60]!r})"
        )
    number = 1
    try:
        for number, line in enumerate(iterator, start=2):
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) != len(header):
                if not line.strip():
                    continue
                raise SourceError(
                    f"{origin} line {number}: {len(cells)} columns, not {len(header)}"
                )
            yield number, cells
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        # a truncated gzip ends in EOFError: the file is incomplete, so none of it is used
        raise SourceError(f"{origin} line {number}: unreadable ({type(exc).__name__})") from None


def _int(text: str, origin: str, number: int) -> int | None:
    if text == _NULL or not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise SourceError(f"{origin} line {number}: {text[:12]!r} is not a number") from None
