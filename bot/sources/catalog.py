"""The offline title catalog in bot/data: titles, IMDb/TMDB scores and real Rotten Tomatoes rows.

The embedded default review source: no key, no network. Parsers are pure (text in, values out);
`load_catalog` reads the bundled files; `CatalogReviews` answers score lookups from memory.
"""

from __future__ import annotations

import ast
import csv
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.errors import SourceError
from bot.matching import normalize
from bot.models import Metric, Score, Title
from bot.sources.cells import float_or_none, int_or_none

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent.parent / "data"
PROVIDER = "catalog"
# When each snapshot was taken (bot/data/README.md); scores drift, so every score keeps its date.
# Only the 2016–17 file gives a day; for the others the year is known and the day is a stand-in.
TITLES_AS_OF = date(2022, 7, 1)  # Netflix US catalogue, newest release year 2022
RT_2020_AS_OF = date(2020, 7, 1)  # Rotten Tomatoes scrape, 2020
RATINGS_16_17_AS_OF = date(2017, 3, 22)
FANDANGO_AS_OF = date(2015, 7, 1)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    title: Title
    scores: tuple[Score, ...]
    description: str


@dataclass(frozen=True, slots=True)
class CriticRow:
    """Critics/audience percentages for one film from a Rotten Tomatoes-style file."""

    name: str
    year: int | None
    critics: float | None
    critics_count: int | None
    audience: float | None
    audience_count: int | None
    metacritic: float | None
    as_of: date


@dataclass(frozen=True, slots=True)
class Catalog:
    titles: tuple[Title, ...]
    scores: Mapping[str, tuple[Score, ...]]
    descriptions: Mapping[str, str]


def parse_titles(text: str) -> list[CatalogEntry]:
    """Parse the Kaggle "Netflix TV Shows and Movies" titles.csv."""
    reader = csv.DictReader(io.StringIO(text))
    needed = {
        "id",
        "title",
        "type",
        "release_year",
        "imdb_id",
        "imdb_score",
        "tmdb_score",
    }
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise SourceError(
            f"catalog: missing column(s) {sorted(needed - set(reader.fieldnames or []))}"
        )
    entries = []
    for row in reader:
        kind = row["type"].strip().upper()
        name = row["title"].strip()
        if kind not in ("MOVIE", "SHOW") or not name or not row["id"]:
            continue
        title = Title(
            id=row["id"],
            name=name,
            kind="movie" if kind == "MOVIE" else "show",
            year=int_or_none(row["release_year"]),
            imdb_id=row["imdb_id"] or None,
            genres=_genres(row.get("genres", "")),
        )
        scores = []
        imdb = float_or_none(row["imdb_score"])
        if imdb is not None and 0 < imdb <= 10:
            votes = int_or_none(row.get("imdb_votes", ""))
            scores.append(
                Score(
                    Metric.IMDB,
                    imdb * 10,
                    f"{imdb:.1f}/10",
                    PROVIDER,
                    TITLES_AS_OF,
                    votes,
                )
            )
        tmdb = float_or_none(row["tmdb_score"])
        if tmdb is not None and 0 < tmdb <= 10:
            scores.append(Score(Metric.TMDB, tmdb * 10, f"{tmdb:.1f}/10", PROVIDER, TITLES_AS_OF))
        entries.append(CatalogEntry(title, tuple(scores), row.get("description", "").strip()))
    return entries


def parse_rotten_tomatoes_2020(text: str) -> list[CriticRow]:
    """Rows of the Kaggle Rotten Tomatoes movies file (tomatometer + audience, DD/MM/YYYY dates)."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        released = row.get("original_release_date", "").strip()
        year = int_or_none(released[-4:]) if len(released) >= 4 else None
        rows.append(
            CriticRow(
                row["movie_title"].strip(),
                year,
                _pct(row.get("tomatometer_rating", "")),
                int_or_none(row.get("tomatometer_count", "")),
                _pct(row.get("audience_rating", "")),
                int_or_none(row.get("audience_count", "")),
                None,
                RT_2020_AS_OF,
            )
        )
    return rows


def parse_ratings_16_17(text: str) -> list[CriticRow]:
    """mircealex's 2016–17 ratings: tmeter (RT critics), audience (RT users), metascore."""
    return [
        CriticRow(
            row["movie"].strip(),
            int_or_none(row["year"]),
            _pct(row.get("tmeter", "")),
            None,
            _pct(row.get("audience", "")),
            None,
            _pct(row.get("metascore", "")),
            RATINGS_16_17_AS_OF,
        )
        for row in csv.DictReader(io.StringIO(text))
    ]


def parse_fandango(text: str) -> list[CriticRow]:
    """FiveThirtyEight's 2015 Fandango comparison; FILM is "Title (Year)"."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        film = row["FILM"].strip()
        name, _, rest = film.rpartition(" (")
        rows.append(
            CriticRow(
                name or film,
                int_or_none(rest.rstrip(")")) if name else None,
                _pct(row.get("RottenTomatoes", "")),
                None,
                _pct(row.get("RottenTomatoes_User", "")),
                None,
                _pct(row.get("Metacritic", "")),
                FANDANGO_AS_OF,
            )
        )
    return rows


def join_critics(entries: Iterable[CatalogEntry], critics: Iterable[CriticRow]) -> Catalog:
    """Attach critics rows to catalog films with the same name and a release year ±1."""
    entries = list(entries)
    films: dict[str, list[CatalogEntry]] = {}
    for entry in entries:
        if entry.title.kind == "movie":
            films.setdefault(normalize(entry.title.name), []).append(entry)
    extra: dict[str, list[Score]] = {}
    for row in critics:
        candidates = films.get(normalize(row.name), [])
        if row.year is not None:
            candidates = [
                e
                for e in candidates
                if e.title.year is not None and abs(e.title.year - row.year) <= 1
            ]
        if len(candidates) != 1:
            continue  # no film, or a remake we cannot tell apart without a year
        title_id = candidates[0].title.id
        found = extra.setdefault(title_id, [])
        provider = f"{PROVIDER}:{row.as_of.year}"
        for metric, value, count in (
            (Metric.RT_CRITICS, row.critics, row.critics_count),
            (Metric.RT_AUDIENCE, row.audience, row.audience_count),
            (Metric.METACRITIC, row.metacritic, None),
        ):
            if value is None:
                continue
            unit = "%" if metric is not Metric.METACRITIC else "/100"
            score = Score(metric, value, f"{value:g}{unit}", provider, row.as_of, count)
            # keep the most recent snapshot of each metric
            found[:] = [s for s in found if not (s.metric is metric and s.fetched >= row.as_of)]
            if all(s.metric is not metric for s in found):
                found.append(score)
    return Catalog(
        titles=tuple(e.title for e in entries),
        scores={e.title.id: e.scores + tuple(extra.get(e.title.id, ())) for e in entries},
        descriptions={e.title.id: e.description for e in entries if e.description},
    )


def load_critics(directory: Path = DATA) -> list[CriticRow]:
    """The bundled Rotten Tomatoes / Metacritic rows, oldest snapshot first."""
    return [
        *parse_fandango(_read(directory / "fandango_score_comparison.csv")),
        *parse_ratings_16_17(_read(directory / "movie_ratings_16_17.csv")),
        *parse_rotten_tomatoes_2020(_read(directory / "rotten_tomatoes_2020_excerpt.csv")),
    ]


def load_catalog(directory: Path = DATA) -> Catalog:
    """Load the bundled catalog and critics files."""
    entries = parse_titles(_read(directory / "catalog_titles.csv"))
    catalog = join_critics(entries, load_critics(directory))
    log.debug("catalog: %d titles loaded from %s", len(catalog.titles), directory)
    return catalog


class CatalogReviews:
    """ReviewSource over the offline catalog: instant, never unavailable."""

    name = PROVIDER

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def scores(self, title: Title) -> tuple[Score, ...]:
        return self._catalog.scores.get(title.id, ())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"catalog: cannot read {path} ({exc.strerror})") from None


def _pct(text: str) -> float | None:
    value = float_or_none(text.strip().rstrip("%"))
    return value if value is not None and 0 <= value <= 100 else None


def _genres(text: str) -> tuple[str, ...]:
    try:
        value = ast.literal_eval(text) if text.strip().startswith("[") else []
    except (ValueError, SyntaxError):
        return ()
    return tuple(str(g) for g in value if isinstance(g, str))
