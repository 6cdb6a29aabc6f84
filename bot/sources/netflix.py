"""Netflix's official weekly Top 10 files: a pure, validating parser (fetching: top10_fetch.py).

Parses the countries file and every historical schema of the global file by header name
(7, 11, 12 and 9 columns so far); columns we do not know are ignored. Anything that is not a
complete, consistent Top 10 file is rejected whole with a SourceError saying what is wrong.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import SourceError
from bot.models import GLOBAL, Category, Chart, ChartKey, ChartRow, Language
from bot.regions import is_country

log = logging.getLogger(__name__)

_COUNTRY_REQUIRED = ("country_iso2", "week", "category", "weekly_rank", "show_title")
_GLOBAL_REQUIRED = ("week", "category", "weekly_rank", "show_title")
_CATEGORIES: dict[str, tuple[Category, Language]] = {
    "films": ("films", ""),
    "tv": ("tv", ""),
    "films (english)": ("films", "english"),
    "films (non-english)": ("films", "non-english"),
    "tv (english)": ("tv", "english"),
    "tv (non-english)": ("tv", "non-english"),
}
_WEEK = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO2 = re.compile(r"[A-Z]{2}")
_MISSING = ("", "N/A")
_SMALL_INTS = {str(n): n for n in range(1000)}
# valid (country_iso2, category) spellings seen so far; bounded by the regions and categories
_KNOWN_KEYS: dict[tuple[str, str], ChartKey] = {}
LIST_SIZE = 10
_RANKS = list(range(1, LIST_SIZE + 1))


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fetch brought back; `body` is None when the server said "not modified"."""

    url: str
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


def parse_top10(
    body: bytes, origin: str = "input", *, today: date | None = None
) -> tuple[Chart, ...]:
    """Parse one Top 10 TSV (countries or global) into complete charts, or raise SourceError.

    With `today`, a week after the current one (the week ending the coming Sunday) is refused.
    """
    return tuple(iter_top10(body, origin, today=today))


def iter_top10(body: bytes, origin: str = "input", *, today: date | None = None) -> Iterator[Chart]:
    """Yield each list as soon as its rows are complete, so storing can overlap parsing.

    The whole file is still checked: a SourceError may come after some lists were yielded, so a
    caller that stores them must do so in a transaction it rolls back.
    """
    # the current week may already be listed (time zones); anything later cannot have happened
    last = None if today is None else today + timedelta(days=6 - today.weekday())
    text = _decode(body, origin)
    if not text.strip():
        raise SourceError(f"{origin}: empty body (no Top 10 data)")
    if "\r" in text:  # Windows (\r\n) and old Mac (\r) line ends, once for the whole file
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()  # trailing newlines or blank lines are harmless; Netflix's own files have none
    header = [name.strip().lower() for name in lines[0].split("\t")]
    is_countries = "country_iso2" in header
    required = _COUNTRY_REQUIRED if is_countries else _GLOBAL_REQUIRED
    missing = [name for name in required if name not in header]
    if missing:
        if len(header) == 1 or "week" not in header:
            raise SourceError(
                f"{origin}: not a weekly Top 10 file (header is {_snippet(lines[0])!r}; "
                f"expected columns such as {', '.join(required)})"
            )
        raise SourceError(f"{origin}: missing column(s) {', '.join(missing)}")
    if len(lines) < 2:
        raise SourceError(f"{origin}: has a header but no rows")
    col = {name: i for i, name in enumerate(header)}
    width = len(header)
    # rows grouped by their raw (region, category, week) strings: hashing a tuple of str is
    # far cheaper than a dataclass key, and each list's key and week are checked only once
    lists: dict[tuple[str, str, str], tuple[int, list[ChartRow]]] = {}
    done: dict[tuple[str, str, str], Chart] = {}  # lists already yielded
    resolved: set[tuple[ChartKey, date]] = set()
    weeks: dict[str, date] = {}
    group: tuple[str, str, str] | None = None
    i_week, i_cat, i_rank = col["week"], col["category"], col["weekly_rank"]
    i_title = col["show_title"]
    i_season = col.get("season_title")
    i_cum = col.get("cumulative_weeks_in_top_10")
    i_hours = col.get("weekly_hours_viewed")
    i_views = col.get("weekly_views")
    i_runtime = col.get("runtime")
    i_region = col.get("country_iso2")
    small = _SMALL_INTS  # ranks and week counts: a dict lookup instead of int() and checks
    # None never equals a field, so the first row always opens its list
    last_region: str | None = None
    last_cat: str | None = None
    last_week: str | None = None
    opened: list[ChartRow] = []  # replaced by the first row's list
    append = opened.append
    make_row = tuple.__new__  # a ChartRow without a Python-level __new__ frame per row
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != width:
            if line.strip() == "":
                raise SourceError(f"{origin}: line {number} is blank")
            raise SourceError(
                f"{origin}: line {number} has {len(fields)} fields, expected {width} "
                "(truncated or damaged file?)"
            )
        region = GLOBAL if i_region is None else fields[i_region]
        # files come in blocks, one list after another: look the list up only when it changes
        if fields[i_week] != last_week or fields[i_cat] != last_cat or region != last_region:
            if group is not None:
                ready = _ready(group, lists, done, resolved, weeks, origin, last, is_countries)
                if ready is not None:
                    yield ready
            last_region, last_cat, last_week = region, fields[i_cat], fields[i_week]
            group = (last_region, last_cat, last_week)
            if group in done:
                chart = done[group]
                where = f"{origin}: line {number}: {describe(chart.key)} {chart.week}"
                raise SourceError(f"{where}: rank {fields[i_rank]} appears more than once")
            found = lists.get(group)
            if found is None:
                found = lists[group] = (number, [])
            append = found[1].append
        raw = fields[i_rank]
        rank = small.get(raw)
        if rank is None:
            rank = _int(raw, "weekly_rank", origin, number)
        title = fields[i_title]
        if not title or title[0] == " " or title[-1] == " ":
            title = title.strip()
            if not title:
                raise SourceError(f"{origin}: line {number} has an empty show_title")
        season = None
        if i_season is not None:
            season = fields[i_season]
            if season in _MISSING:
                season = None
            elif season[0] == " " or season[-1] == " ":
                season = season.strip() or None
        cumulative = None
        if i_cum is not None:
            raw = fields[i_cum]
            cumulative = small.get(raw)
            if cumulative is None and raw not in _MISSING:
                cumulative = _int(raw, "cumulative_weeks_in_top_10", origin, number)
        hours = views = runtime = None
        if i_hours is not None:
            hours = _opt_int(fields[i_hours], "weekly_hours_viewed", origin, number)
        if i_views is not None:
            views = _opt_int(fields[i_views], "weekly_views", origin, number)
        if i_runtime is not None:
            runtime = _opt_float(fields[i_runtime], "runtime", origin, number)
        append(make_row(ChartRow, (rank, title, season, cumulative, hours, views, runtime)))
    if group is not None:
        ready = _ready(group, lists, done, resolved, weeks, origin, last, is_countries)
        if ready is not None:
            yield ready
    # what is left is incomplete or out of order: first every list's key and week (the precise
    # complaint), then completeness
    left = []
    for (region, raw_category, raw_week), (first_line, rows) in lists.items():
        week = weeks.get(raw_week)
        if week is None:
            week = weeks[raw_week] = _week(raw_week, origin, first_line, last)
        key = _key(region, raw_category, origin, first_line, is_countries)
        left.append((key, week, first_line, rows))
    for key, week, first_line, rows in left:
        _claim(key, week, first_line, resolved, origin)
        yield _complete(key, week, rows, origin)


def _ready(
    group: tuple[str, str, str],
    lists: dict[tuple[str, str, str], tuple[int, list[ChartRow]]],
    done: dict[tuple[str, str, str], Chart],
    resolved: set[tuple[ChartKey, date]],
    weeks: dict[str, date],
    origin: str,
    last: date | None,
    countries: bool,
) -> Chart | None:
    """The list whose block just ended, if it holds exactly ranks 1–10 in order; else None."""
    first_line, rows = lists[group]
    if [row[0] for row in rows] != _RANKS:
        return None  # incomplete so far: it may continue later in the file
    region, raw_category, raw_week = group
    week = weeks.get(raw_week)
    if week is None:
        week = weeks[raw_week] = _week(raw_week, origin, first_line, last)
    key = _key(region, raw_category, origin, first_line, countries)
    _claim(key, week, first_line, resolved, origin)
    chart = done[group] = Chart(key, week, tuple(rows))
    del lists[group]
    return chart


def _claim(
    key: ChartKey, week: date, line: int, resolved: set[tuple[ChartKey, date]], origin: str
) -> None:
    if (key, week) in resolved:
        raise SourceError(f"{origin}: line {line}: {describe(key)} {week} is listed twice")
    resolved.add((key, week))


def _complete(key: ChartKey, week: date, rows: list[ChartRow], origin: str) -> Chart:
    ranks = sorted(row.rank for row in rows)
    if ranks != _RANKS:
        where = f"{origin}: {describe(key)} {week.isoformat()}"
        duplicates = sorted({r for r in ranks if ranks.count(r) > 1})
        if duplicates:
            raise SourceError(f"{where}: rank {duplicates[0]} appears more than once")
        absent = [r for r in range(1, LIST_SIZE + 1) if r not in ranks]
        if absent:
            shown = ", ".join(str(r) for r in absent)
            raise SourceError(f"{where}: missing rank(s) {shown} (truncated file?)")
        raise SourceError(f"{where}: ranks must be 1 to {LIST_SIZE}, found {ranks}")
    rows.sort(key=lambda row: row.rank)
    return Chart(key, week, tuple(rows))


def describe(key: ChartKey) -> str:
    """Short label for a list, e.g. "US films" or "GLOBAL tv (non-english)"."""
    language = f" ({key.language})" if key.language else ""
    return f"{key.region} {key.category}{language}"


def _decode(body: bytes, origin: str) -> str:
    stripped = body.strip()
    if not stripped:
        raise SourceError(f"{origin}: empty body (no Top 10 data)")
    if stripped == b"null":
        raise SourceError(f"{origin}: body is the literal 'null', not a Top 10 file")
    if body.startswith(b"PK\x03\x04"):
        raise SourceError(f"{origin}: is a ZIP/XLSX workbook, not a TSV; export it as TSV")
    head = stripped[:512].lower()
    if head.startswith(b"<") or b"<html" in head or b"<a href" in head:
        text = re.sub(rb"<[^>]*>", b" ", stripped[:300]).decode("utf-8", "replace")
        hint = " ".join(text.split())[:80]
        raise SourceError(
            f"{origin}: is an HTML page, not a TSV ({hint!r}); the download URL may have moved"
        )
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{origin}: is not UTF-8 text (bad byte at offset {exc.start})") from None


def _week(raw: str, origin: str, line: int, last: date | None) -> date:
    if not _WEEK.fullmatch(raw):
        raise SourceError(f"{origin}: line {line} has week {_snippet(raw)!r}, expected YYYY-MM-DD")
    try:
        week = date.fromisoformat(raw)
    except ValueError:
        raise SourceError(f"{origin}: line {line} has an impossible date {raw!r}") from None
    if week.weekday() != 6:
        raise SourceError(
            f"{origin}: line {line} has week {raw}, a {week:%A}; Netflix weeks end on a Sunday"
        )
    if last is not None and week > last:
        raise SourceError(
            f"{origin}: line {line} has week {raw}, which has not ended yet "
            f"(the current week ends {last}); refusing the file"
        )
    return week


def _key(region: str, raw_category: str, origin: str, line: int, countries: bool) -> ChartKey:
    if countries and region == GLOBAL:
        raise SourceError(
            f"{origin}: line {line} is a GLOBAL row in a countries file "
            "(global lists come from the global file); refusing the file"
        )
    found = _KNOWN_KEYS.get((region, raw_category))
    if found is not None:  # 13,000 lists share ~200 keys: check each spelling once
        return found
    if region != GLOBAL and not _ISO2.fullmatch(region):
        raise SourceError(
            f"{origin}: line {line} has country_iso2 {_snippet(region)!r}, "
            "expected a two-letter code"
        )
    if region != GLOBAL and not is_country(region):
        raise SourceError(
            f"{origin}: line {line} has country_iso2 {region!r}, which is not a country "
            "(ISO 3166-1); refusing the file"
        )
    mapped = _CATEGORIES.get(raw_category.strip().lower())
    if mapped is None or (region == GLOBAL) == (mapped[1] == ""):
        raise SourceError(f"{origin}: line {line} has unknown category {_snippet(raw_category)!r}")
    category, language = mapped
    key = _KNOWN_KEYS[(region, raw_category)] = ChartKey(region, category, language)
    return key


def _int(raw: str, column: str, origin: str, line: int) -> int:
    if not raw.isdigit() or not raw.isascii() or len(raw) > 15:
        raise SourceError(f"{origin}: line {line} has {column} {_snippet(raw)!r}, not a number")
    return int(raw)


def _opt_int(raw: str, column: str, origin: str, line: int) -> int | None:
    return None if raw in _MISSING else _int(raw, column, origin, line)


def _opt_float(raw: str, column: str, origin: str, line: int) -> float | None:
    if raw in _MISSING:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1000:
        raise SourceError(f"{origin}: line {line} has {column} {_snippet(raw)!r}, not a duration")
    return value


def _text(raw: str) -> str | None:
    raw = raw.strip()
    return None if raw in _MISSING else raw


def _snippet(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
