"""Storing charts: one transaction per file, never a worse copy over a stored list, Netflix's
retroactive renames followed only from newer editions, rows written in batches while the caller
goes on parsing."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Chart, ChartKey, ChartRow
from bot.store.charts import key_of, row_of
from bot.store.database import Database, execute, sql

_COUNT_NONE = operator.methodcaller("count", None)


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What save_charts did with each incoming list."""

    saved: tuple[tuple[ChartKey, date], ...] = ()
    replaced: tuple[tuple[ChartKey, date], ...] = ()
    unchanged: int = 0
    kept: tuple[tuple[ChartKey, date], ...] = ()  # stored copy as good or better; incoming ignored
    newest: date | None = None  # the newest week in the file, whatever was done with it

    @property
    def changed(self) -> tuple[tuple[ChartKey, date], ...]:
        return self.saved + self.replaced


class ChartWrites:
    """The chart-writing half of Store."""

    _db: Database

    async def save_charts(
        self, charts: Iterable[Chart], source: str, now: datetime, edition: date | None = None
    ) -> SaveReport:
        """Store complete charts in one transaction; never replace a list with a worse copy.

        `edition` is the newest week of the file the charts came from (default: the newest week
        among them). Netflix renames titles retroactively in every week of its files, so an
        equally complete copy from a newer edition replaces the stored one (names stay
        consistent across weeks); an older edition or a less complete copy never does.
        """
        async with self.saving(source, now, edition) as saver:
            for chart in charts:
                await saver.add(chart)
        return saver.report

    @asynccontextmanager
    async def saving(
        self, source: str, now: datetime, edition: date | None = None
    ) -> AsyncIterator[ChartSaver]:
        """One ingest transaction; `add` lists as they are parsed, `flush` now and then.

        Rolled back whole if the block raises (a file found bad half-way stores nothing).
        """
        async with self._db.writing() as conn:
            saver = ChartSaver(self._db, conn, source, now, edition)
            try:
                yield saver
                await saver.finish()
            except BaseException:
                await saver.settle(quiet=True)
                raise


class ChartSaver:
    """Decides each incoming list against the stored copy and writes the new rows in batches
    that the database inserts while the caller goes on parsing."""

    # small batches start overlapping the parse sooner and leave a shorter tail (bench/README.md)
    FLUSH_ROWS = 4_000

    def __init__(
        self, db: Database, conn: AsyncConnection, source: str, now: datetime, edition: date | None
    ) -> None:
        self._db = db
        self._conn = conn
        # stored lists, looked up a week at a time as the file's weeks appear
        self._existing: dict[tuple[ChartKey, str], _Stored] = {}
        self._weeks_looked_up: set[str] = set()
        self._source = source
        self._stamp = now.isoformat()
        self._edition = edition
        self._newest = date.min
        self._charts: list[tuple[Chart, bool]] = []  # (chart, planned) waiting for the next batch
        self._rows = 0
        self._undecided: list[Chart] = []  # as complete as the stored copy, but different
        self._stale: list[int] = []
        self._written: list[int] = []
        self._saved: list[tuple[ChartKey, date]] = []
        self._replaced: list[tuple[ChartKey, date]] = []
        self._kept: list[tuple[ChartKey, date]] = []
        self._unchanged = 0
        self._writing: asyncio.Future[None] | None = None
        self.report = SaveReport()

    @property
    def buffered(self) -> int:
        return self._rows

    async def add(self, chart: Chart) -> None:
        self._newest = max(self._newest, chart.week)
        week = chart.week.isoformat()
        if week not in self._weeks_looked_up:
            self._weeks_looked_up.add(week)
            await self.settle()  # one statement at a time on the transaction's connection
            self._existing.update(await self._stored_in_week(week))
        found = self._existing.get((chart.key, week))
        if found is None:
            self._saved.append((chart.key, chart.week))
            self._queue(chart)
            return
        quality = _quality(chart.rows)
        if list(chart.rows) == found.rows:
            self._unchanged += 1
        elif quality < found.quality:
            self._kept.append((chart.key, chart.week))
        elif quality > found.quality:
            self._replace(chart, found.id)
        else:
            self._undecided.append(chart)

    async def flush(self) -> None:
        """Hand the buffered lists to the database; return while it writes them."""
        await self.settle()  # one batch at a time keeps memory bounded
        charts, self._charts, self._rows = self._charts, [], 0
        stale, self._stale = self._stale, []
        if charts or stale:
            self._writing = asyncio.ensure_future(self._write(charts, stale))
            await asyncio.sleep(0)  # let the batch start before the caller parses on

    async def finish(self) -> None:
        edition = (self._edition or self._newest).isoformat()
        for chart in self._undecided:
            found = self._existing[(chart.key, chart.week.isoformat())]
            if edition > found.edition:
                self._replace(chart, found.id)
            else:
                self._kept.append((chart.key, chart.week))
        await self.flush()
        await self.settle()
        if self._written:
            # the file's edition is known only once it is read to the end
            await execute(
                self._conn,
                "UPDATE charts SET edition = :edition WHERE id = :id",
                [{"edition": edition, "id": chart_id} for chart_id in self._written],
            )
        self.report = SaveReport(
            tuple(self._saved), tuple(self._replaced), self._unchanged, tuple(self._kept),
            self._newest if self._newest > date.min else None,
        )  # fmt: skip

    async def settle(self, *, quiet: bool = False) -> None:
        """Wait for the batch being written (its error, if any, is raised here)."""
        writing, self._writing = self._writing, None
        if writing is None:
            return
        if quiet:
            await asyncio.gather(writing, return_exceptions=True)
        else:
            await writing

    async def _stored_in_week(self, week: str) -> dict[tuple[ChartKey, str], _Stored]:
        """The lists stored for one week, rows included, to compare incoming copies with."""
        found: dict[tuple[ChartKey, str], _Stored] = {}
        result = await self._conn.execute(
            sql(
                "SELECT c.id, c.service, c.region, c.category, c.language, c.week, c.quality, "
                "c.edition, e.rank, e.title, e.season, e.weeks_in_top10, e.hours_viewed, "
                "e.views, e.runtime FROM charts c JOIN chart_entries e ON e.chart_id = c.id "
                "WHERE c.week = :week ORDER BY c.id, e.rank"
            ),
            {"week": week},
        )
        for r in result:
            key = (key_of(r[2], r[3], r[4], r[1]), r[5])
            stored = found.get(key)
            if stored is None:
                stored = found[key] = _Stored(r[0], r[6], r[7], [])
            stored.rows.append(row_of(r[8:]))
        return found

    async def _write(self, charts: list[tuple[Chart, bool]], stale: list[int]) -> None:
        conn, dialect = self._conn, self._db.dialect
        if stale:
            await execute(conn, "DELETE FROM charts WHERE id = :id", [{"id": i} for i in stale])
        if not charts:
            return
        ids = await dialect.reserve_chart_ids(conn, len(charts))
        await execute(
            conn,
            "INSERT INTO charts (id, service, region, category, language, week, source, "
            "saved_at, edition, quality, alerts_planned) VALUES (:id, :service, :region, "
            ":category, :language, :week, :source, :saved_at, '', :quality, :planned)",
            [
                {"id": chart_id, "service": c.key.service, "region": c.key.region,
                 "category": c.key.category, "language": c.key.language,
                 "week": c.week.isoformat(), "source": self._source, "saved_at": self._stamp,
                 "quality": _quality(c.rows), "planned": int(planned)}
                for chart_id, (c, planned) in zip(ids, charts, strict=True)
            ],
        )  # fmt: skip
        rows: list[tuple[Any, ...]] = [
            (chart_id, *row)
            for chart_id, (c, _p) in zip(ids, charts, strict=True)
            for row in c.rows
        ]
        await conn.exec_driver_sql(dialect.insert_entries, rows)
        self._written.extend(ids)

    def _replace(self, chart: Chart, old_id: int) -> None:
        self._stale.append(old_id)
        self._replaced.append((chart.key, chart.week))
        self._queue(chart, planned=True)  # a revised list (renames) never alerts again

    def _queue(self, chart: Chart, *, planned: bool = False) -> None:
        self._charts.append((chart, planned))
        self._rows += len(chart.rows)


@dataclass(slots=True)
class _Stored:
    """A list already in the database, as an ingest compares incoming copies with it."""

    id: int
    quality: int
    edition: str
    rows: list[ChartRow]


def _quality(rows: tuple[ChartRow, ...]) -> int:
    """How complete a copy is: filled optional columns (weeks, hours, views, runtime), counted
    with tuple.count in C: every None, less the seasons (rank and title are never None)."""
    nones: int = sum(map(_COUNT_NONE, rows)) - [row[2] for row in rows].count(None)
    return 4 * len(rows) - nones
