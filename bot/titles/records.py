"""Title records: what one source says about one title (or one season), with where and when.

Every source (Netflix's engagement reports, the bundled catalogs, TMDB's yearly lists, IMDb's
datasets, TMDB/OMDb online, the Top 10 files themselves) is turned into TitleRecords; identity
(bot.judge.identity) merges them. A record never mixes sources, so each fact keeps its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.judge.names import name_key

Kind = Literal["movie", "show"]

# source families, in the order their facts are trusted when they disagree
NETFLIX_REPORT = "netflix-report"  # Netflix's engagement reports: release dates, runtime
CATALOG = "catalog"  # Kaggle/JustWatch snapshots of the Netflix catalogue (IMDb/TMDB scores)
TMDB_POPULAR = "tmdb-popular"  # TMDB's most popular films per year
IMDB = "imdb"  # IMDb's non-commercial datasets, downloaded by the operator
TMDB = "tmdb"  # TMDB online
OMDB = "omdb"  # OMDb online
TVMAZE = "tvmaze"  # TVmaze show data (premiere, network)


@dataclass(frozen=True, slots=True)
class TitleRecord:
    """One source's facts about a title; `season` set means the facts are one season's."""

    source: str  # "netflix-report:2024H1", "catalog:2023-03", "imdb", …
    as_of: date  # when the source's snapshot was taken (facts drift)
    name: str  # display name without year suffix, season or original title
    kind: Kind | None  # None when the source does not say (2023H1's one-sheet report)
    year: int | None = None  # release year of the title (a show: its first season)
    year_suffix: int | None = None  # Netflix's "(1997)": a same-name title exists
    season: int | None = None
    season_label: str | None = None
    netflix_release: date | None = None  # Netflix premiere of a Netflix-branded title
    licensed: bool | None = None  # True: on Netflix but not Netflix-branded
    runtime_minutes: int | None = None
    original_name: str | None = None
    ref: str | None = None  # the source's own id (tm…, tt…, tmdb:…)
    imdb_id: str | None = None
    imdb_score: float | None = None  # 0–10
    imdb_votes: int | None = None
    tmdb_score: float | None = None  # 0–10
    tmdb_votes: int | None = None
    popularity: float | None = None
    views: int | None = None  # engagement in the report's half-year
    hours: int | None = None
    genres: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    language: str | None = None
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", name_key(self.name))

    @property
    def family(self) -> str:
        return self.source.split(":", 1)[0]

    @property
    def known_year(self) -> int | None:
        """The title's year from any fact this record holds."""
        if self.year is not None:
            return self.year
        if self.year_suffix is not None:
            return self.year_suffix
        if self.netflix_release is not None and self.season in (None, 1):
            return self.netflix_release.year
        return None
