"""Reading stored charts: one list, one week's history, weeks held, a title's ranks, totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.history import WeekHistory
from bot.models import GLOBAL, Appearance, Category, Chart, ChartKey, ChartRow, Language, TitleRef
from bot.store.database import Database, execute, sql

WEEK = timedelta(days=7)
_ROWS = "e.rank, e.title, e.season, e.weeks_in_top10, e.hours_viewed, e.views, e.runtime"
_KEY = "c.service, c.region, c.category, c.language"


@dataclass(frozen=True, slots=True)
class Totals:
    weeks: int
    regions: int
    charts: int
    rows: int
    first_week: date | None = None
    last_week: date | None = None


class ChartReads:
    """The chart-reading half of Store."""

    _db: Database

    async def chart(self, key: ChartKey, week: date) -> Chart | None:
        rows = await self._db.all(
            f"SELECT {_ROWS} FROM charts c JOIN chart_entries e ON e.chart_id = c.id "
            "WHERE c.service = :service AND c.region = :region AND c.category = :category "
            "AND c.language = :language AND c.week = :week ORDER BY e.rank",
            {**_key_params(key), "week": week.isoformat()},
        )
        if not rows:
            return None
        return Chart(key, week, tuple(row_of(r) for r in rows))

    async def all_charts(self) -> list[Chart]:
        """Every stored list with its rows (tests and one-off tools; never the runtime path)."""
        rows = await self._db.all(
            f"SELECT c.id, {_KEY}, c.week, {_ROWS} FROM charts c "
            "JOIN chart_entries e ON e.chart_id = c.id ORDER BY c.id, e.rank"
        )
        return list(_group(rows).values())

    async def week_history(self, week: date) -> WeekHistory:
        """The lists of `week` and the week before, and the past of every title charting in
        `week`: two queries, whose cost follows that week's titles, not the whole history."""
        async with self._db.reading() as conn:
            lists = (
                await conn.execute(
                    sql(
                        f"SELECT c.id, {_KEY}, c.week, {_ROWS} FROM charts c "
                        "JOIN chart_entries e ON e.chart_id = c.id "
                        "WHERE c.week IN (:week, :previous) ORDER BY c.id, e.rank"
                    ),
                    {"week": week.isoformat(), "previous": (week - WEEK).isoformat()},
                )
            ).all()
            past = (
                await conn.execute(
                    sql(
                        f"SELECT {_KEY}, e.title, e.season, MIN(c.week), MAX(c.week), COUNT(*) "
                        "FROM chart_entries e JOIN charts c ON c.id = e.chart_id "
                        "WHERE c.week < :week AND e.title IN (SELECT e2.title "
                        "FROM chart_entries e2 JOIN charts c2 ON c2.id = e2.chart_id "
                        "WHERE c2.week = :week) "
                        f"GROUP BY {_KEY}, e.title, e.season"
                    ),
                    {"week": week.isoformat()},
                )
            ).all()
            start = (await conn.execute(sql("SELECT MIN(week) FROM charts"))).scalar()
        current: dict[ChartKey, Chart] = {}
        previous: dict[ChartKey, Chart] = {}
        for chart in _group(lists).values():
            (current if chart.week == week else previous)[chart.key] = chart
        appearances: dict[tuple[ChartKey, TitleRef], Appearance] = {}
        countries: dict[tuple[str, TitleRef], date] = {}
        globals_: dict[tuple[str, TitleRef], date] = {}
        by_title: dict[tuple[str, str], date] = {}
        charting: set[tuple[str, TitleRef]] = set()
        for chart in current.values():  # first seen this week, unless seen earlier (below)
            firsts = globals_ if chart.key.region == GLOBAL else countries
            for row in chart.rows:
                firsts[(chart.key.category, row.ref)] = week
                by_title[(chart.key.category, row.title)] = week
                charting.add((chart.key.category, row.ref))
        in_lists = {(c.key, row.ref) for c in current.values() for row in c.rows}
        for r in past:
            key = key_of(r[1], r[2], r[3], r[0])
            ref: TitleRef = (r[4], r[5])
            first = date.fromisoformat(r[6])
            show = (key.category, ref[0])
            if show in by_title and first < by_title[show]:
                by_title[show] = first  # another season of a show charting this week
            if (key.category, ref) not in charting:
                continue  # a same-named title of another category, or another season
            firsts = globals_ if key.region == GLOBAL else countries
            held = firsts.get((key.category, ref))
            if held is None or first < held:
                firsts[(key.category, ref)] = first
            if (key, ref) in in_lists:
                appearances[(key, ref)] = Appearance(first, date.fromisoformat(r[7]), int(r[8]))
        return WeekHistory(
            week, current, previous, appearances, countries, globals_, by_title,
            date.fromisoformat(start) if start else None,
        )  # fmt: skip

    async def weeks(self, key: ChartKey | None = None) -> list[date]:
        """Weeks stored, oldest first (for one list, or any list)."""
        if key is None:
            rows = await self._db.all("SELECT DISTINCT week FROM charts ORDER BY week")
        else:
            rows = await self._db.all(
                "SELECT week FROM charts WHERE service = :service AND region = :region "
                "AND category = :category AND language = :language ORDER BY week",
                _key_params(key),
            )
        return [date.fromisoformat(r[0]) for r in rows]

    async def latest_week(self, key: ChartKey | None = None) -> date | None:
        if key is None:
            value = await self._db.scalar("SELECT MAX(week) FROM charts")
        else:
            value = await self._db.scalar(
                "SELECT MAX(week) FROM charts WHERE service = :service AND region = :region "
                "AND category = :category AND language = :language",
                _key_params(key),
            )
        return date.fromisoformat(value) if value else None

    async def latest_weeks(self) -> dict[ChartKey, date]:
        """The newest week held for each list."""
        rows = await self._db.all(
            "SELECT service, region, category, language, MAX(week) FROM charts "
            "GROUP BY service, region, category, language"
        )
        return {key_of(r[1], r[2], r[3], r[0]): date.fromisoformat(r[4]) for r in rows}

    async def title_history(self, title: str) -> list[tuple[ChartKey, date, int]]:
        """Every (list, week, rank) where a chart title appears, oldest first."""
        rows = await self._db.all(
            f"SELECT {_KEY}, c.week, e.rank FROM chart_entries e JOIN charts c "
            "ON c.id = e.chart_id WHERE e.title = :title ORDER BY c.week, c.region, c.category, "
            "c.language",
            {"title": title},
        )
        return [(key_of(r[1], r[2], r[3], r[0]), date.fromisoformat(r[4]), r[5]) for r in rows]

    async def chart_titles(self) -> list[tuple[str, str]]:
        """Distinct (title, category) pairs ever charted, for matching and autocomplete."""
        rows = await self._db.all(
            "SELECT DISTINCT e.title, c.category FROM chart_entries e "
            "JOIN charts c ON c.id = e.chart_id"
        )
        return [(r[0], r[1]) for r in rows]

    async def totals(self) -> Totals:
        async with self._db.reading() as conn:
            row = (
                await conn.execute(
                    sql(
                        "SELECT COUNT(DISTINCT week), COUNT(DISTINCT region), COUNT(*), "
                        "MIN(week), MAX(week) FROM charts"
                    )
                )
            ).one()
            entries = (await conn.execute(sql("SELECT COUNT(*) FROM chart_entries"))).scalar()
        return Totals(
            weeks=row[0],
            regions=row[1],
            charts=row[2],
            rows=int(entries or 0),
            first_week=date.fromisoformat(row[3]) if row[3] else None,
            last_week=date.fromisoformat(row[4]) if row[4] else None,
        )

    async def unplanned(self) -> list[tuple[ChartKey, date]]:
        """Lists stored whose alerts were not planned yet (a crash can fall in between)."""
        rows = await self._db.all(
            "SELECT service, region, category, language, week FROM charts "
            "WHERE alerts_planned = 0 ORDER BY week"
        )
        return [(key_of(r[1], r[2], r[3], r[0]), date.fromisoformat(r[4])) for r in rows]

    async def mark_planned(self, charts: Iterable[tuple[ChartKey, date]]) -> None:
        rows = [{**_key_params(k), "week": week.isoformat()} for k, week in charts]
        if not rows:
            return
        async with self._db.writing() as conn:
            await execute(
                conn,
                "UPDATE charts SET alerts_planned = 1 WHERE service = :service "
                "AND region = :region AND category = :category AND language = :language "
                "AND week = :week",
                rows,
            )


def _group(rows: Iterable[Any]) -> dict[int, Chart]:
    """Rows of (id, service, region, category, language, week, rank, …) → charts by id."""
    grouped: dict[int, tuple[ChartKey, date, list[ChartRow]]] = {}
    for r in rows:
        found = grouped.get(r[0])
        if found is None:
            found = grouped[r[0]] = (key_of(r[2], r[3], r[4], r[1]), date.fromisoformat(r[5]), [])
        found[2].append(row_of(r[6:]))
    return {i: Chart(key, week, tuple(rows)) for i, (key, week, rows) in grouped.items()}


def row_of(r: Any) -> ChartRow:
    return ChartRow._make(r[:7])


def key_of(region: str, category: str, language: str, service: str) -> ChartKey:
    return ChartKey(region, _category(category), _language(language), service)


def _key_params(key: ChartKey) -> dict[str, str]:
    return {
        "service": key.service,
        "region": key.region,
        "category": key.category,
        "language": key.language,
    }


def _category(text: str) -> Category:
    return "tv" if text == "tv" else "films"


def _language(text: str) -> Language:
    if text == "english":
        return "english"
    if text == "non-english":
        return "non-english"
    return ""
