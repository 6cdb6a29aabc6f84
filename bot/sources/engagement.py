"""Netflix's engagement reports ("What We Watched", XLSX, twice a year): parse by header name.

Every historical layout: one sheet (2023H1), "TV"/"Film" (2023H2–2024H2), "Shows"/"Movies"
(2025H1); with or without Runtime and Views. Release Date is the Netflix premiere of a
Netflix-branded title (empty = licensed). A broken body (an HTML page, a truncated file, an
unknown sheet, a missing column, a bad value) is rejected whole with the reason. Parsing is pure;
fetching reuses the Top 10 files' conditional GET.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.errors import SourceError
from bot.judge.names import split_title
from bot.titles.records import NETFLIX_REPORT, Kind, TitleRecord

MAX_ROWS = 200_000  # a report holds ~18,000; more means this is not one
_HEADER_SCAN = 30  # the header row sits below a few lines of banner
_REQUIRED = ("title", "available globally?", "release date", "hours viewed")
_OPTIONAL = ("runtime", "views")
_SHEETS: dict[str, Kind | None] = {
    "engagement": None,  # 2023H1: films and shows in one sheet
    "tv": "show",
    "shows": "show",
    "film": "movie",
    "movies": "movie",
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"),
        start=1,
    )
}  # fmt: skip
_PERIOD = re.compile(
    r"from\s+(?P<first>[a-z]+)\s+(?:(?P<y1>\d{4})\s+)?to\s+(?P<last>[a-z]+)\s+(?P<y2>\d{4})",
    re.IGNORECASE,
)
# "*" marks a runtime that differs by country (a footnote in the report): "1:19*" or just "*"
_RUNTIME = re.compile(r"^(\d{1,3}):([0-5]\d)\*?$")


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of a report, as printed, with the title taken apart."""

    title: str
    kind: Kind | None
    available_globally: bool | None
    release_date: date | None
    hours_viewed: int | None
    views: int | None
    runtime_minutes: int | None


@dataclass(frozen=True, slots=True)
class EngagementReport:
    """A whole report: its half-year and every row of every sheet."""

    start: date
    end: date
    rows: tuple[ReportRow, ...]

    @property
    def label(self) -> str:
        """'2024H1' for January–June 2024."""
        return f"{self.end.year}H{1 if self.end.month <= 6 else 2}"


def parse_report(body: bytes, origin: str = "report") -> EngagementReport:
    """Parse one report; SourceError (naming `origin` and the reason) if anything is off."""
    if not body.startswith(b"PK"):
        raise SourceError(f"{origin}: not an XLSX file ({_sniff(body)})")
    try:
        from openpyxl import load_workbook  # imported here: only report readers pay for it

        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise SourceError(f"{origin}: unreadable XLSX ({type(exc).__name__}: {exc})") from None
    try:
        names = [sheet.title for sheet in book.worksheets]
        kinds = _layout(names, origin)
        period: tuple[date, date] | None = None
        rows: list[ReportRow] = []
        for sheet, kind in zip(book.worksheets, kinds, strict=True):
            found_period, sheet_rows = _read_sheet(sheet.iter_rows(values_only=True), kind,
                                                   f"{origin} [{sheet.title}]")  # fmt: skip
            if period is not None and found_period != period:
                raise SourceError(f"{origin}: sheets cover different periods")
            period = found_period
            rows.extend(sheet_rows)
            if len(rows) > MAX_ROWS:
                raise SourceError(f"{origin}: more than {MAX_ROWS:,} rows; not a report")
    except SourceError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise SourceError(f"{origin}: unreadable XLSX ({type(exc).__name__}: {exc})") from None
    finally:
        book.close()
    assert period is not None
    return EngagementReport(period[0], period[1], tuple(rows))


def records(report: EngagementReport) -> Iterator[TitleRecord]:
    """The report's rows as title records (one per row; a show's row is one season)."""
    source = f"{NETFLIX_REPORT}:{report.label}"
    for row in report.rows:
        text = split_title(row.title, row.kind)
        kind = row.kind or ("show" if text.season is not None else None)
        yield TitleRecord(
            source=source,
            as_of=report.end,
            name=text.name,
            kind=kind,
            year_suffix=text.year,
            season=text.season_number if kind == "show" else None,
            season_label=text.season,
            netflix_release=row.release_date,
            licensed=row.release_date is None,
            runtime_minutes=row.runtime_minutes,
            original_name=text.original,
            views=row.views,
            hours=row.hours_viewed,
        )


def _layout(names: list[str], origin: str) -> list[Kind | None]:
    kinds: list[Kind | None] = []
    for name in names:
        folded = name.strip().casefold()
        if folded not in _SHEETS:
            raise SourceError(
                f"{origin}: unknown sheet {name!r}; a report has one sheet or TV/Film "
                "(Shows/Movies) sheets"
            )
        kinds.append(_SHEETS[folded])
    if None in kinds and len(kinds) > 1:
        raise SourceError(f"{origin}: a one-sheet report has no other sheets ({names})")
    if kinds and None not in kinds and set(kinds) != {"show", "movie"}:
        raise SourceError(f"{origin}: expected a TV and a film sheet, found {names}")
    if not kinds:
        raise SourceError(f"{origin}: no sheets")
    return kinds


def _read_sheet(
    lines: Iterator[tuple[Any, ...]], kind: Kind | None, origin: str
) -> tuple[tuple[date, date], list[ReportRow]]:
    period = None
    columns: dict[str, int] | None = None
    for number, line in enumerate(lines, start=1):
        cells = [_cell_text(cell) for cell in line]
        if columns is None:
            for cell in cells:
                if cell and period is None and (found := _PERIOD.search(cell)):
                    period = _period(found, origin)
            if any(c.casefold() == "title" for c in cells):
                columns = _columns(cells, origin)
                if period is None:
                    raise SourceError(f"{origin}: no reporting period above the header")
                break
            if number >= _HEADER_SCAN:
                break
    if columns is None or period is None:
        raise SourceError(f"{origin}: no header row with a Title column")
    rows = []
    for offset, line in enumerate(lines, start=number + 1):
        row = _row(line, columns, kind, f"{origin} row {offset}")
        if row is not None:
            rows.append(row)
    if not rows:
        raise SourceError(f"{origin}: header but no rows")
    return period, rows


def _columns(cells: list[str], origin: str) -> dict[str, int]:
    found = {cell.casefold(): index for index, cell in enumerate(cells) if cell}
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise SourceError(f"{origin}: missing column(s) {', '.join(missing)}")
    return {name: found[name] for name in (*_REQUIRED, *_OPTIONAL) if name in found}


def _row(
    line: tuple[Any, ...], columns: dict[str, int], kind: Kind | None, where: str
) -> ReportRow | None:
    def cell(name: str) -> Any:
        index = columns.get(name)
        return line[index] if index is not None and index < len(line) else None

    title = _cell_text(cell("title"))
    if not title:
        if any(_cell_text(value) for value in line):
            raise SourceError(f"{where}: a row without a title")
        return None  # blank lines under the table
    return ReportRow(
        title=title,
        kind=kind,
        available_globally=_yes_no(cell("available globally?"), where),
        release_date=_date(cell("release date"), where),
        hours_viewed=_count(cell("hours viewed"), "Hours Viewed", where),
        views=_count(cell("views"), "Views", where),
        runtime_minutes=_runtime(cell("runtime"), where),
    )


def _period(found: re.Match[str], origin: str) -> tuple[date, date]:
    first = _MONTHS.get(found.group("first").casefold())
    last = _MONTHS.get(found.group("last").casefold())
    if first is None or last is None:
        raise SourceError(f"{origin}: cannot read the reporting period {found.group(0)!r}")
    end_year = int(found.group("y2"))
    start_year = int(found.group("y1") or end_year)
    end = date(end_year + (last == 12), last % 12 + 1, 1).fromordinal(
        date(end_year + (last == 12), last % 12 + 1, 1).toordinal() - 1
    )
    return date(start_year, first, 1), end


def _cell_text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _yes_no(value: Any, where: str) -> bool | None:
    text = _cell_text(value).casefold()
    if not text:
        return None
    if text in ("yes", "no"):
        return text == "yes"
    raise SourceError(f"{where}: Available Globally? is {text!r}, not Yes/No")


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise SourceError(f"{where}: Release Date {text[:20]!r} is not a date") from None


def _count(value: Any, column: str, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SourceError(f"{where}: {column} is not a number")
    if isinstance(value, int | float):
        number = int(value)
    else:
        text = _cell_text(value).replace(",", "")
        if not text.isdigit():
            raise SourceError(f"{where}: {column} {text[:20]!r} is not a number")
        number = int(text)
    if number < 0:
        raise SourceError(f"{where}: {column} is negative")
    return number


def _runtime(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    text = _cell_text(value)
    if text == "*":
        return None
    found = _RUNTIME.match(text)
    if found is None:
        raise SourceError(f"{where}: Runtime {text[:20]!r} is not H:MM")
    return int(found.group(1)) * 60 + int(found.group(2))


def _sniff(body: bytes) -> str:
    head = body[:200].strip().lower()
    if not head:
        return "empty body"
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<a ", b"<head", b"<body")):
        return "an HTML page"
    if head == b"null":
        return "the literal text null"
    return f"starts with {body[:16]!r}"
