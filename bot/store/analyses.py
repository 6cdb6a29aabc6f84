"""Each stored week's analysis: every list's entries as judged, kept as rows so that commands,
alerts and digests read a week instead of judging it again in every process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.models import ChartKey
from bot.store.charts import key_of
from bot.store.database import Database, execute

Analysed = dict[ChartKey, list[tuple[int, str]]]  # list → (rank, judged JSON), by rank


class Analyses:
    """The analyses part of Store."""

    _db: Database

    async def analysis(self, week: date) -> tuple[Analysed, bool]:
        """The stored analysis of `week`, and whether every stored list of it is analysed."""
        rows = await self._db.all(
            "SELECT c.service, c.region, c.category, c.language, c.id, "
            "(SELECT COUNT(*) FROM chart_entries e WHERE e.chart_id = c.id), a.rank, a.judged "
            "FROM charts c LEFT JOIN analyses a ON a.chart_id = c.id WHERE c.week = :week "
            "ORDER BY c.id, a.rank",
            {"week": week.isoformat()},
        )
        found: Analysed = {}
        counts: dict[ChartKey, int] = {}
        for service, region, category, language, _id, entries, rank, judged in rows:
            key = key_of(region, category, language, service)
            counts[key] = int(entries)
            if rank is not None:
                found.setdefault(key, []).append((int(rank), judged))
        complete = bool(counts) and all(
            len(found.get(key, ())) == count for key, count in counts.items()
        )
        return found, complete

    async def save_analysis(
        self, week: date, judged: Mapping[ChartKey, Sequence[tuple[int, str]]], version: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """Replace the analysis of `week`'s lists (skipped on a read-only database)."""
        if self._db.read_only or not judged:
            return
        ids = {
            key_of(r[1], r[2], r[3], r[0]): int(r[4])
            for r in await self._db.all(
                "SELECT service, region, category, language, id FROM charts WHERE week = :week",
                {"week": week.isoformat()},
            )
        }
        charts = sorted(ids[key] for key in judged if key in ids)
        rows = [
            {"chart_id": ids[key], "rank": rank, "judged": text, "version": version,
             "at": now.isoformat()}
            for key, entries in judged.items() if key in ids
            for rank, text in entries
        ]  # fmt: skip
        async with self._db.writing() as conn:
            for chart_id in charts:
                await execute(conn, "DELETE FROM analyses WHERE chart_id = :chart_id",
                              {"chart_id": chart_id})  # fmt: skip
            if rows:
                await execute(
                    conn,
                    "INSERT INTO analyses (chart_id, rank, judged, version, analysed_at) "
                    "VALUES (:chart_id, :rank, :judged, :version, :at)",
                    rows,
                )

    async def weeks_to_analyse(self, version: str, since: date | None = None) -> list[date]:
        """Weeks (newest first) with a list not analysed by `version` yet."""
        rows = await self._db.all(
            "SELECT DISTINCT c.week FROM charts c WHERE c.week >= :since AND EXISTS ("
            "SELECT 1 FROM chart_entries e WHERE e.chart_id = c.id AND NOT EXISTS ("
            "SELECT 1 FROM analyses a WHERE a.chart_id = c.id AND a.rank = e.rank "
            "AND a.version = :version)) ORDER BY c.week DESC",
            {"since": (since or date.min).isoformat(), "version": version},
        )
        return [date.fromisoformat(r[0]) for r in rows]

    async def forget_analyses(self, since: date | None = None) -> int:
        """Drop stored analyses of weeks from `since` on (all without it)."""
        return await self._db.run(
            "DELETE FROM analyses WHERE chart_id IN (SELECT id FROM charts WHERE week >= :since)",
            {"since": (since or date.min).isoformat()},
        )
