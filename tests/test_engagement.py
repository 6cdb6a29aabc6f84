"""Netflix's engagement reports: every layout parsed by header name; broken files refused whole."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.errors import SourceError
from bot.sources.engagement import parse_report, records
from tests.conftest import SHARED, TEST_DATA, needs_shared

SLICES = TEST_DATA / "engagement"
BROKEN = TEST_DATA / "netflix"


def _slice(period: str) -> bytes:
    return (SLICES / f"report_{period}_slice.xlsx").read_bytes()


def _rewrite(period: str, change) -> bytes:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(_slice(period)))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("period", "label", "sheets_kinds"),
    [
        ("2023Jan-Jun", "2023H1", {None, "show"}),  # one sheet: films unknown, seasons are shows
        ("2023Jul-Dec", "2023H2", {"show", "movie"}),  # TV / Film
        ("2024Jan-Jun", "2024H1", {"show", "movie"}),
        ("2024Jul-Dec", "2024H2", {"show", "movie"}),
        ("2025Jan-Jun", "2025H1", {"show", "movie"}),  # Shows / Movies
    ],
)
def test_every_layout_parses(period: str, label: str, sheets_kinds: set[str | None]) -> None:
    report = parse_report(_slice(period), period)
    assert report.label == label
    assert report.start.month in (1, 7) and report.end.month in (6, 12) and report.end.day >= 30
    rows = list(records(report))
    assert {r.kind for r in rows} == sheets_kinds
    assert all(r.source == f"netflix-report:{label}" and r.as_of == report.end for r in rows)


def test_release_date_means_netflix_branded_and_empty_means_licensed() -> None:
    rows = {r.name: r for r in records(parse_report(_slice("2024Jan-Jun")))}
    war = rows["War Machine"]
    assert war.netflix_release == date(2017, 5, 26) and war.licensed is False
    assert war.runtime_minutes == 123  # "2:03"
    anaconda = rows["Anaconda"]
    assert anaconda.netflix_release is None and anaconda.licensed is True
    assert anaconda.runtime_minutes == 89


def test_title_suffixes_are_taken_apart() -> None:
    rows = list(records(parse_report(_slice("2023Jan-Jun"))))
    suits = next(r for r in rows if r.name == "Suits" and r.season == 1)
    assert suits.year_suffix == 2011 and suits.kind == "show" and suits.season_label == "Season 1"
    squid = next(r for r in records(parse_report(_slice("2025Jan-Jun"))) if r.name == "Squid Game")
    assert squid.season == 2 and squid.original_name == "오징어 게임: 시즌 2"
    days = next(r for r in rows if r.name == "365 Days")
    assert days.year_suffix == 2020 and days.licensed is True


def test_no_views_or_runtime_in_the_first_report() -> None:
    rows = list(records(parse_report(_slice("2023Jan-Jun"))))
    assert all(r.views is None and r.runtime_minutes is None for r in rows)
    assert all(r.hours is not None and r.hours > 0 for r in rows)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ((BROKEN / "all-weeks-countries_moved-permanently_2023-06-01.tsv").read_bytes(), "HTML"),
        ((BROKEN / "all-weeks-countries_null_2023-12-17.tsv").read_bytes(), "null"),
        (b"", "empty"),
        (_slice("2024Jan-Jun")[:3000], "unreadable XLSX"),
    ],
)
def test_broken_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_report(body, "report")


def test_a_renamed_sheet_is_refused() -> None:
    def rename(book) -> None:  # type: ignore[no-untyped-def]
        book["Film"].title = "Films and more"

    with pytest.raises(SourceError, match="unknown sheet 'Films and more'"):
        parse_report(_rewrite("2024Jan-Jun", rename), "renamed")


def test_a_missing_column_is_refused() -> None:
    def drop_release_date(book) -> None:  # type: ignore[no-untyped-def]
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value == "Release Date":
                        cell.value = "Premiere"

    with pytest.raises(SourceError, match="missing column.*release date"):
        parse_report(_rewrite("2024Jan-Jun", drop_release_date), "no-date")


def test_a_bad_value_names_its_row() -> None:
    def bad_runtime(book) -> None:  # type: ignore[no-untyped-def]
        book["TV"]["F8"] = "long"

    with pytest.raises(SourceError, match=r"\[TV\] row 8: Runtime 'long'"):
        parse_report(_rewrite("2024Jan-Jun", bad_runtime), "bad")


def test_a_footnoted_runtime_is_read_or_left_unknown() -> None:
    def footnotes(book) -> None:  # type: ignore[no-untyped-def]
        book["TV"]["F7"] = "*"
        book["TV"]["F8"] = "1:19*"

    rows = parse_report(_rewrite("2024Jan-Jun", footnotes), "notes").rows
    assert rows[0].runtime_minutes is None and rows[1].runtime_minutes == 79


@needs_shared
@pytest.mark.parametrize(
    "path", sorted((SHARED / "engagement").glob("*.xlsx")), ids=lambda p: p.stem[-11:]
)
def test_every_real_report_parses_whole(path: Path) -> None:
    report = parse_report(path.read_bytes(), path.name)
    assert len(report.rows) > 15_000
    dated = [r for r in report.rows if r.release_date is not None]
    assert 0.15 < len(dated) / len(report.rows) < 0.5  # Netflix-branded titles are the minority
