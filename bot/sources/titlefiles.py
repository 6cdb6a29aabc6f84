"""Title snapshots as CSV, pure: the Kaggle/JustWatch Netflix catalogues, TMDB's popular films per
year, and the 2025H1 report rows matched to IMDb/TVmaze (sentimental-value). Each becomes
TitleRecords; `detect` tells the formats apart by their header, so `--titles PATH` needs no flag.

Quirks (../shared/data/SOURCES.md): the 2023 catalogue has a BOM and 841 mojibake rows
(cp1252 read as UTF-8), TMDB's list is `;`-separated with a BOM and a blank rating for unreleased
films; sentimental-value matched automatically and lossily (Korean text became `_`).
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from datetime import date

from bot.errors import SourceError
from bot.judge.names import split_title
from bot.sources.cells import float_or_none, int_or_none
from bot.titles.records import CATALOG, TMDB, TMDB_POPULAR, TVMAZE, TitleRecord

CATALOG_COLUMNS = {"id", "title", "type", "release_year", "imdb_score", "tmdb_score"}
TMDB_COLUMNS = {"type", "title", "country", "release_year", "rating", "vote_count"}
_FILM_TYPES = ("movie", "tvMovie", "video")  # IMDb titleType values of films
SV_MOVIE_COLUMNS = {"Title", "Release Date", "titleType", "startYear", "runtimeMinutes"}
SV_SHOW_COLUMNS = {"Title", "Release Date", "premiered", "webChannel.name", "rating.average"}
TMDB_POPULAR_AS_OF = date(2025, 7, 1)  # the yearly lists run to mid-2025
SV_AS_OF = date(2025, 6, 30)  # the 2025H1 engagement report


def detect(text: str) -> str:
    """Which title CSV this is: 'catalog', 'tmdb-popular', 'sv-movies' or 'sv-shows'."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = {h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])}
    if CATALOG_COLUMNS <= header:
        return "catalog"
    if TMDB_COLUMNS <= header:
        return "tmdb-popular"
    if SV_MOVIE_COLUMNS <= header:
        return "sv-movies"
    if SV_SHOW_COLUMNS <= header:
        return "sv-shows"
    raise SourceError(
        "not a title file trendbot knows (a Netflix catalogue CSV, TMDB's popular films, "
        f"or 2025H1 report rows matched to IMDb/TVmaze); header starts {first[:60]!r}"
    )


def parse(text: str, origin: str, as_of: date | None = None) -> list[TitleRecord]:
    """Records from any known title CSV; `as_of` dates a catalogue (else its newest year)."""
    kind = detect(text)
    if kind == "catalog":
        return list(parse_catalog(text, origin, as_of))
    if kind == "tmdb-popular":
        return list(parse_tmdb_popular(text, origin))
    if kind == "sv-movies":
        return list(parse_sv_movies(text, origin))
    return list(parse_sv_shows(text, origin))


def parse_catalog(text: str, origin: str, as_of: date | None = None) -> Iterator[TitleRecord]:
    """The Kaggle "Netflix TV Shows and Movies" titles.csv (one Netflix catalogue snapshot)."""
    rows = list(_rows(text, origin, CATALOG_COLUMNS))
    years = [y for row in rows if (y := int_or_none(row.get("release_year"))) is not None]
    stamp = as_of or date(max(years, default=2000), 7, 1)
    source = f"{CATALOG}:{stamp:%Y-%m}"
    for row in rows:
        kind = {"MOVIE": "movie", "SHOW": "show"}.get((row.get("type") or "").strip().upper())
        name = _repair(row.get("title") or "").strip()
        if kind is None or not name:
            continue
        imdb = float_or_none(row.get("imdb_score"))
        tmdb = float_or_none(row.get("tmdb_score"))
        yield TitleRecord(
            source=source,
            as_of=stamp,
            name=name,
            kind="movie" if kind == "movie" else "show",
            year=int_or_none(row.get("release_year")),
            runtime_minutes=int_or_none(row.get("runtime")) if kind == "movie" else None,
            ref=(row.get("id") or "").strip() or None,
            imdb_id=(row.get("imdb_id") or "").strip() or None,
            imdb_score=imdb if imdb is not None and 0 < imdb <= 10 else None,
            imdb_votes=int_or_none(row.get("imdb_votes")),
            tmdb_score=tmdb if tmdb is not None and 0 < tmdb <= 10 else None,
            popularity=float_or_none(row.get("tmdb_popularity")),
            genres=_list(row.get("genres")),
            countries=_list(row.get("production_countries")),
        )


def parse_tmdb_popular(text: str, origin: str) -> Iterator[TitleRecord]:
    """TMDB's 1,000 most popular films of each year 2010–2025 (`;`-separated)."""
    for row in _rows(text, origin, TMDB_COLUMNS, delimiter=";"):
        name = (row.get("title") or "").strip()
        year = int_or_none(row.get("release_year"))
        if not name or year is None:
            continue
        rating = float_or_none((row.get("rating") or "").replace(",", "."))
        votes = int_or_none(row.get("vote_count"))
        yield TitleRecord(
            source=f"{TMDB_POPULAR}:{year}",
            as_of=TMDB_POPULAR_AS_OF,
            name=name,
            kind="movie",
            year=year,
            tmdb_score=rating if rating and votes else None,
            tmdb_votes=votes,
            genres=tuple(g.strip().casefold() for g in (row.get("genres") or "").split(",") if g),
            countries=tuple(c.strip() for c in (row.get("country") or "").split(",") if c.strip()),
        )


def parse_sv_movies(text: str, origin: str) -> Iterator[TitleRecord]:
    """2025H1 report films matched to TMDB: the title's own release year, language, country.

    The file also carries IMDb's year and runtime (IMDb data: never used from here). Where TMDB
    found nothing, the year is the automatic IMDb match's: a row matched to something other than
    a film (a TV episode called "Men in Black 3", 2014) is left out; the report's own row still
    says the film exists.
    """
    for row in _rows(text, origin, SV_MOVIE_COLUMNS):
        title = split_title(row.get("Title") or "", "movie")
        if not title.name or not _tmdb_or_film(row):
            continue
        yield TitleRecord(
            source=f"{TMDB}:2025H1",
            as_of=SV_AS_OF,
            name=title.name,
            kind="movie",
            year=int_or_none(row.get("ReleaseYear")),
            year_suffix=title.year,
            imdb_id=(row.get("tconst") or "").strip() or None,
            language=(row.get("TMDBLanguage") or "").strip() or None,
            countries=tuple(c for c in (row.get("TMDBCountry") or "").split("|") if c),
        )


def _tmdb_or_film(row: dict[str, str]) -> bool:
    tmdb_found = (row.get("TMDBLanguage") or "").strip() not in ("", "Unknown")
    return tmdb_found or (row.get("titleType") or "").strip() in _FILM_TYPES


def parse_sv_shows(text: str, origin: str) -> Iterator[TitleRecord]:
    """2025H1 report shows matched to TVmaze: first air date, network, TVmaze rating."""
    for row in _rows(text, origin, SV_SHOW_COLUMNS):
        title = split_title(row.get("Title") or "", "show")
        premiered = _iso(row.get("premiered"))
        if not title.name:
            continue
        yield TitleRecord(
            source=f"{TVMAZE}:2025H1",
            as_of=SV_AS_OF,
            name=title.name,
            kind="show",
            year=premiered.year if premiered else int_or_none(row.get("ReleaseYear")),
            imdb_id=(row.get("externals.imdb") or "").strip() or None,
            language=(row.get("TMDBLanguage") or "").strip() or None,
        )


def _rows(
    text: str, origin: str, needed: set[str], delimiter: str = ","
) -> Iterator[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = {h.strip() for h in reader.fieldnames or ()}
    missing = needed - header
    if missing:
        raise SourceError(f"{origin}: missing column(s) {', '.join(sorted(missing))}")
    try:
        for row in reader:
            yield {(k or "").strip(): (v or "") for k, v in row.items() if isinstance(v, str)}
    except csv.Error as exc:
        raise SourceError(f"{origin}: line {reader.line_num}: {exc}") from None


def _repair(text: str) -> str:
    """Undo cp1252 double-encoding ('PoÃ«t' → 'Poët'); text that is fine stays as it is."""
    if "Ã" not in text and "â" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text and text.strip() else None
    except ValueError:
        return None


def _list(text: str | None) -> tuple[str, ...]:
    if not text or not text.strip().startswith("["):
        return ()
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))
