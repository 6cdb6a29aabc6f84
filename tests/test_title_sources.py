"""Title files: catalogue CSVs, TMDB yearly lists, 2025H1 matched rows, IMDb datasets, bundles."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from bot.errors import SourceError
from bot.sources import imdb, titlefiles
from bot.titles import bundle
from bot.titles.library import file_kind, load_library, read_title_file
from tests.conftest import TEST_DATA

TITLES = TEST_DATA / "titles"
# IMDb's exact format (tab-separated, \N for null); the facts are from the catalogue, not IMDb
BASICS = (
    "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\t"
    "runtimeMinutes\tgenres\n"
    "tt3588588\tmovie\tBacktrace\tBacktrace\t0\t2018\t\\N\t92\tAction,Crime\n"
    "tt0000001\tshort\tA Short\tA Short\t0\t1894\t\\N\t1\t\\N\n"
    "tt0000002\tmovie\tSomething Adult\tSomething Adult\t1\t2001\t\\N\t80\t\\N\n"
    "tt4574334\ttvSeries\tStranger Things\tStranger Things\t0\t2016\t2025\t\\N\tDrama\n"
    "tt0000003\ttvEpisode\tChapter One\tChapter One\t0\t2016\t\\N\t48\t\\N\n"
)
RATINGS = "tconst\taverageRating\tnumVotes\ntt3588588\t3.8\t4453\ntt4574334\t8.7\t1300000\n"


def _gz(path: Path, text: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(text)
    return path


def test_catalog_snapshot_with_its_quirks() -> None:
    text = (TITLES / "catalog_2023-03_slice.csv").read_text(encoding="utf-8-sig")
    assert titlefiles.detect(text) == "catalog"
    rows = {r.name: r for r in titlefiles.parse(text, "slice", date(2023, 3, 1))}
    backtrace = rows["Backtrace"]
    assert backtrace.year == 2018 and backtrace.kind == "movie" and backtrace.ref == "tm414073"
    assert backtrace.imdb_score == 3.8 and backtrace.source == "catalog:2023-03"
    assert "Pokémon" in rows  # the mojibake "PokÃ©mon" repaired


def test_tmdb_popular_tells_same_name_films_apart() -> None:
    text = (TITLES / "tmdb_popular_slice.csv").read_text(encoding="utf-8-sig")
    assert titlefiles.detect(text) == "tmdb-popular"
    anacondas = sorted(
        (r.year, r.countries) for r in titlefiles.parse(text, "tmdb") if r.name == "Anaconda"
    )
    assert anacondas == [(2024, ("China",)), (2025, ("United States of America",))]


def test_matched_2025_rows_keep_no_imdb_columns() -> None:
    movies = titlefiles.parse((TITLES / "sv_movies_2025H1_slice.csv").read_text(), "sv")
    assert movies and all(r.runtime_minutes is None for r in movies)  # IMDb's runtime unused
    # TMDB found nothing for this row and the automatic IMDb match is a TV episode of 2014
    assert "Men in Black 3" not in {r.name for r in movies}
    shows = titlefiles.parse((TITLES / "sv_shows_2025H1_slice.csv").read_text(), "sv")
    suits = next(r for r in shows if r.name == "Suits")
    assert suits.year == 2011 and suits.source == "tvmaze:2025H1"


def test_an_unknown_csv_is_refused() -> None:
    with pytest.raises(SourceError, match="not a title file"):
        titlefiles.detect("name,when\nx,1\n")


def test_imdb_basics_keeps_films_and_series_only(tmp_path: Path) -> None:
    path = _gz(tmp_path / "title.basics.tsv.gz", BASICS)
    with imdb.open_text(path) as handle:
        found = list(imdb.basics(handle, "basics", date(2026, 11, 1)))
    assert [(r.name, r.kind, r.year) for r in found] == [
        ("Backtrace", "movie", 2018),
        ("Stranger Things", "show", 2016),
    ]
    assert found[0].runtime_minutes == 92 and found[0].source == "imdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tconst\tprimaryTitle\n", "not IMDb's title.basics"),
        (BASICS.replace("\t0\t2018", "\t0\tTwenty"), "'Twenty' is not a number"),
        (BASICS + "tt9\tmovie\tCut short\n", "3 columns, not 9"),
    ],
)
def test_bad_imdb_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = _gz(tmp_path / "basics.tsv.gz", text)
    with imdb.open_text(path) as handle, pytest.raises(SourceError, match=message):
        list(imdb.basics(handle, "basics", date(2026, 11, 1)))


def test_a_truncated_gzip_is_refused_not_half_read(tmp_path: Path) -> None:
    whole = _gz(tmp_path / "whole.tsv.gz", BASICS * 200)
    cut = tmp_path / "cut.tsv.gz"
    cut.write_bytes(whole.read_bytes()[:-40])
    with imdb.open_text(cut) as handle, pytest.raises(SourceError, match="unreadable"):
        list(imdb.basics(handle, "cut", date(2026, 11, 1)))


def test_library_reads_every_kind_and_attaches_ratings(tmp_path: Path) -> None:
    basics = _gz(tmp_path / "title.basics.tsv.gz", BASICS)
    ratings = _gz(tmp_path / "title.ratings.tsv.gz", RATINGS)
    report = TEST_DATA / "engagement" / "report_2024Jan-Jun_slice.xlsx"
    catalog = TITLES / "catalog_2023-03_slice.csv"
    assert [file_kind(p) for p in (basics, ratings, report, catalog)] == [
        "imdb-basics",
        "imdb-ratings",
        "report",
        "csv",
    ]
    library = load_library(
        [ratings, basics, report, catalog], wanted_keys={"backtrace"}, today=date(2026, 11, 1)
    )
    imdb_rows = [r for r in library.book.records("backtrace") if r.source == "imdb"]
    assert [(r.imdb_score, r.imdb_votes) for r in imdb_rows] == [(3.8, 4453)]
    assert library.book.records("stranger things") == () or all(
        r.source != "imdb" for r in library.book.records("stranger things")
    )  # not asked for: not kept


def test_bundle_round_trip(tmp_path: Path) -> None:
    text = (TITLES / "catalog_2023-03_slice.csv").read_text(encoding="utf-8-sig")
    records = titlefiles.parse(text, "slice", date(2023, 3, 1))
    path = tmp_path / "titles.csv.gz"
    assert bundle.write_records(records, path) == len(records)
    assert list(bundle.read_records(path)) == records
    assert file_kind(path) == "bundle" and read_title_file(path) == records


def test_a_damaged_bundle_names_the_problem(tmp_path: Path) -> None:
    path = _gz(tmp_path / "titles.csv.gz", "source,as_of\nx,y\n")
    with pytest.raises(SourceError, match="not a trendbot title bundle"):
        list(bundle.read_records(path))


def test_the_shipped_bundle_reads_whole() -> None:
    records = list(bundle.read_records())
    families = {r.family for r in records}
    assert {"netflix-report", "catalog", "tmdb-popular", "tvmaze"} <= families
    assert "imdb" not in families  # IMDb's datasets are never bundled
    assert all(r.key for r in records)
