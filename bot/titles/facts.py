"""Merged title facts, pure: records that share a name become one title per kind and year.

Records are grouped by name key, then by kind, then by year (±1: festival year vs Netflix date);
a record with no year joins the only title of its name, or the one whose runtime it shares.
Each merged fact keeps the source and date it came from; when sources disagree the more trusted
family wins (Netflix's own reports first, then catalogs, then the rest), and newer beats older.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from bot.titles.records import (
    CATALOG,
    IMDB,
    NETFLIX_REPORT,
    OMDB,
    TMDB,
    TMDB_POPULAR,
    TVMAZE,
    Kind,
    TitleRecord,
)

T = TypeVar("T")
Getter = Callable[[TitleRecord], T | None]
YEAR_SLACK = 1  # a festival premiere and a Netflix date a year apart are still one title
_TRUST = {NETFLIX_REPORT: 0, CATALOG: 1, IMDB: 2, TMDB: 3, OMDB: 4, TVMAZE: 5, TMDB_POPULAR: 6}


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One fact and where it came from."""

    value: T
    source: str
    as_of: date


@dataclass(frozen=True, slots=True)
class SeasonFacts:
    """What is known about one season of a show."""

    number: int
    netflix_release: Fact[date] | None = None
    licensed: Fact[bool] | None = None
    runtime_minutes: Fact[int] | None = None


@dataclass(frozen=True, slots=True)
class TitleFacts:
    """Everything known about one title, merged from its records, with provenance per fact."""

    id: str
    name: str
    key: str
    kind: Kind | None
    year: Fact[int] | None = None
    netflix_release: Fact[date] | None = None  # a film's, or a show's first season's
    licensed: Fact[bool] | None = None
    runtime_minutes: Fact[int] | None = None  # films only (a show's runtime is per season)
    seasons: tuple[SeasonFacts, ...] = ()
    imdb_id: str | None = None
    imdb_score: Fact[float] | None = None
    imdb_votes: Fact[int] | None = None
    tmdb_score: Fact[float] | None = None
    tmdb_votes: Fact[int] | None = None
    popularity: Fact[float] | None = None
    views: Fact[int] | None = None  # most views in one report half-year
    genres: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    language: str | None = None
    original_name: str | None = None
    listed: tuple[tuple[str, date], ...] = ()  # every (source, as_of) that lists it
    era: Fact[str] | None = None  # an inferred era when the year is unknown ("before 2010")

    @property
    def year_value(self) -> int | None:
        return self.year.value if self.year else None

    def season(self, number: int | None) -> SeasonFacts | None:
        return next((s for s in self.seasons if s.number == number), None)

    def on_netflix_near(self, day: date, days: int) -> bool:
        """Did a Netflix catalogue snapshot or report list it within `days` of `day`?"""
        return any(
            abs((as_of - day).days) <= days
            for source, as_of in self.listed
            if source.startswith((NETFLIX_REPORT, CATALOG))
        )


def merge(records: Iterable[TitleRecord]) -> tuple[TitleFacts, ...]:
    """All titles the records describe (any names), oldest first within a name."""
    by_key: dict[str, list[TitleRecord]] = {}
    for record in records:
        if record.key:
            by_key.setdefault(record.key, []).append(record)
    found: list[TitleFacts] = []
    for group in by_key.values():
        found.extend(merge_name(group))
    return tuple(found)


def merge_name(records: Sequence[TitleRecord]) -> tuple[TitleFacts, ...]:
    """Titles sharing one name key: one per kind and year."""
    groups = _dated_groups(sorted((r for r in records if _year_of(r) is not None), key=_sort_year))
    for record in (r for r in records if _year_of(r) is None):
        fitting = [g for g in groups if _kind_fits(g, record.kind)]
        if len(fitting) > 1 and record.runtime_minutes is not None:
            fitting = [g for g in fitting if _runtime_of(g) == record.runtime_minutes] or fitting
        if len(fitting) == 1:
            fitting[0].append(record)
        else:
            yearless = next(
                (g for g in groups if _year_of(g[0]) is None and _kind_fits(g, record.kind)), None
            )
            if yearless is None:
                groups.append([record])
            else:
                yearless.append(record)
    return tuple(_facts(group) for group in groups)


def _dated_groups(dated: list[TitleRecord]) -> list[list[TitleRecord]]:
    """Records of the same year first, then neighbouring years joined where nothing disagrees.

    Exact years first so that a ±1 neighbour cannot take a record from its own year: with
    TMDB's 2013 "Non-Stop" (another film) grouped first, the 2014 film's records were split
    between the two."""
    groups: list[list[TitleRecord]] = []
    for record in dated:
        group = next((g for g in groups if _fits(g, record, slack=0)), None)
        if group is None:
            groups.append([record])
        else:
            group.append(record)
    joined: list[list[TitleRecord]] = []
    # the best-attested year keeps its group; a neighbour joins it, not the other way round
    for group in sorted(groups, key=lambda g: -len({r.family for r in g})):
        home = next((j for j in joined if all(_fits(j, r, YEAR_SLACK) for r in group)), None)
        if home is None:
            joined.append(group)
        else:
            home.extend(group)
    return sorted(joined, key=lambda g: _sort_year(g[0]))


def _fits(group: list[TitleRecord], record: TitleRecord, slack: int) -> bool:
    if not _kind_fits(group, record.kind):
        return False
    year = _year_of(record)
    assert year is not None
    years = [y for r in group if (y := _year_of(r)) is not None]
    if record.year_suffix is not None and any(r.year_suffix is not None for r in group):
        # Netflix's suffixes name distinct titles: never join two different ones
        return any(r.year_suffix == record.year_suffix for r in group)
    if any(r.family == record.family and _year_of(r) != year for r in group):
        return False  # one source listing two years means two titles (Anaconda 2024 and 2025)
    return any(abs(year - y) <= slack for y in years)


def _kind_fits(group: list[TitleRecord], kind: Kind | None) -> bool:
    kinds = {r.kind for r in group if r.kind is not None}
    return kind is None or not kinds or kind in kinds


def _year_of(record: TitleRecord) -> int | None:
    return record.known_year


def _sort_year(record: TitleRecord) -> tuple[int, int]:
    return (_year_of(record) or 0, _TRUST.get(record.family, 9))


def _runtime_of(group: list[TitleRecord]) -> int | None:
    return next((r.runtime_minutes for r in group if r.runtime_minutes is not None), None)


def _facts(group: list[TitleRecord]) -> TitleFacts:
    ranked = sorted(group, key=lambda r: (_TRUST.get(r.family, 9), -r.as_of.toordinal()))
    kinds = [r.kind for r in ranked if r.kind is not None]
    kind: Kind | None = kinds[0] if kinds else None
    name = next((r.name for r in ranked if r.family in (CATALOG, NETFLIX_REPORT)), ranked[0].name)
    whole = [r for r in ranked if r.season is None or kind == "movie"]
    first_season = [r for r in ranked if r.season in (None, 1)]
    return TitleFacts(
        id=_identifier(ranked, kind),
        name=name,
        key=ranked[0].key,
        kind=kind,
        year=_year_fact(ranked),
        netflix_release=_first(first_season, lambda r: r.netflix_release),
        licensed=_licensed(ranked if kind != "show" else first_season),
        runtime_minutes=_first(whole, lambda r: r.runtime_minutes) if kind != "show" else None,
        seasons=_seasons(ranked) if kind != "movie" else (),
        imdb_id=next((r.imdb_id for r in ranked if r.imdb_id), None),
        imdb_score=_newest(group, lambda r: r.imdb_score),
        imdb_votes=_newest(group, lambda r: r.imdb_votes),
        tmdb_score=_newest(group, lambda r: r.tmdb_score),
        tmdb_votes=_newest(group, lambda r: r.tmdb_votes),
        popularity=_newest(group, lambda r: r.popularity),
        views=_most(group, lambda r: r.views),
        genres=next((r.genres for r in ranked if r.genres), ()),
        countries=next((r.countries for r in ranked if r.countries), ()),
        language=next((r.language for r in ranked if r.language), None),
        original_name=next((r.original_name for r in ranked if r.original_name), None),
        listed=tuple(sorted({(r.source, r.as_of) for r in group})),
    )


def _identifier(ranked: list[TitleRecord], kind: Kind | None) -> str:
    """A stable id: the catalog's (tm…/ts…, as older databases know it), IMDb's, or our own."""
    for family in (CATALOG, IMDB, TMDB):
        ref = next((r.ref for r in ranked if r.family == family and r.ref), None)
        if ref:
            return ref
    year = next((y for r in ranked if (y := _year_of(r)) is not None), None)
    slug = "-".join(ranked[0].key.split())[:60]
    return f"nf:{kind or 'title'}:{slug}:{year or 'x'}"


def _year_fact(ranked: list[TitleRecord]) -> Fact[int] | None:
    # a title's own release year first (catalogs, IMDb); a Netflix date is a later premiere
    for record in sorted(ranked, key=lambda r: (r.year is None, _TRUST.get(r.family, 9))):
        if record.year is not None:
            return Fact(record.year, record.source, record.as_of)
        if record.year_suffix is not None:
            return Fact(record.year_suffix, record.source, record.as_of)
    for record in ranked:
        if record.netflix_release is not None and record.season in (None, 1):
            return Fact(record.netflix_release.year, record.source, record.as_of)
    return None


def _licensed(ranked: list[TitleRecord]) -> Fact[bool] | None:
    # branded in any report means branded (a dated row); licensed only if every report agrees
    reports = [r for r in ranked if r.licensed is not None]
    if not reports:
        return None
    branded = next((r for r in reports if r.licensed is False), None)
    chosen = branded or max(reports, key=lambda r: r.as_of)
    return Fact(bool(chosen.licensed), chosen.source, chosen.as_of)


def _seasons(ranked: list[TitleRecord]) -> tuple[SeasonFacts, ...]:
    numbers = sorted({r.season for r in ranked if r.season is not None})
    seasons = []
    for number in numbers:
        rows = [r for r in ranked if r.season == number]
        seasons.append(
            SeasonFacts(
                number,
                _first(rows, lambda r: r.netflix_release),
                _licensed(rows),
                _first(rows, lambda r: r.runtime_minutes),
            )
        )
    return tuple(seasons)


def _first(ranked: Iterable[TitleRecord], get: Getter[T]) -> Fact[T] | None:
    for record in ranked:
        value = get(record)
        if value is not None:
            return Fact(value, record.source, record.as_of)
    return None


def _newest(records: Iterable[TitleRecord], get: Getter[T]) -> Fact[T] | None:
    best: Fact[T] | None = None
    for record in records:
        value = get(record)
        if value is not None and (best is None or record.as_of > best.as_of):
            best = Fact(value, record.source, record.as_of)
    return best


def _most(records: Iterable[TitleRecord], get: Getter[int]) -> Fact[int] | None:
    best: Fact[int] | None = None
    for record in records:
        value = get(record)
        if value is not None and (best is None or value > best.value):
            best = Fact(value, record.source, record.as_of)
    return best
