"""Catalog matches of chart titles, admins' overrides, and cached review scores."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bot.models import Match, Metric, Score
from bot.store.database import Database, execute, in_batches


class Titles:
    """The titles-and-scores part of Store."""

    _db: Database

    async def save_matches(self, kind: str, matches: Iterable[Match], now: datetime) -> None:
        """Record matches for inspection (a cache: skipped on a read-only database)."""
        rows = [
            {"chart_title": m.query, "kind": kind, "title_id": m.title.id if m.title else None,
             "confidence": float(m.confidence), "method": m.method.value,
             "matched_at": now.isoformat()}
            for m in matches
        ]  # fmt: skip
        if not rows or self._db.read_only:
            return
        await self._db.run(
            "INSERT INTO title_matches (chart_title, kind, title_id, confidence, method, "
            "matched_at) VALUES (:chart_title, :kind, :title_id, :confidence, :method, "
            ":matched_at) ON CONFLICT (chart_title, kind) DO UPDATE "
            "SET title_id = excluded.title_id, confidence = excluded.confidence, "
            "method = excluded.method, matched_at = excluded.matched_at",
            rows,
        )

    async def overrides(self) -> dict[tuple[str, str], str | None]:
        """Admin-set matches: (chart title, kind) → catalog id, or None for "no match"."""
        rows = await self._db.all("SELECT chart_title, kind, title_id FROM match_overrides")
        return {(r[0], r[1]): r[2] for r in rows}

    async def set_override(
        self,
        chart_title: str,
        kind: str,
        title_id: str | None,
        set_by: str,
        now: datetime,
    ) -> None:
        async with self._db.writing() as conn:
            await execute(
                conn,
                "INSERT INTO match_overrides (chart_title, kind, title_id, set_by, set_at) "
                "VALUES (:chart_title, :kind, :title_id, :set_by, :set_at) "
                "ON CONFLICT (chart_title, kind) DO UPDATE SET title_id = excluded.title_id, "
                "set_by = excluded.set_by, set_at = excluded.set_at",
                {"chart_title": chart_title, "kind": kind, "title_id": title_id,
                 "set_by": set_by, "set_at": now.isoformat()},
            )  # fmt: skip
            await execute(
                conn,
                "DELETE FROM title_matches WHERE chart_title = :chart_title AND kind = :kind",
                {"chart_title": chart_title, "kind": kind},
            )

    async def cached_scores(self, title_id: str) -> list[Score]:
        rows = await self._db.all(
            "SELECT metric, value, raw, provider, fetched, votes FROM scores "
            "WHERE title_id = :title_id",
            {"title_id": title_id},
        )
        return [Score(Metric(r[0]), r[1], r[2], r[3], date.fromisoformat(r[4]), r[5]) for r in rows]

    async def cached_scores_many(self, title_ids: Iterable[str]) -> dict[str, list[Score]]:
        """Cached scores for many titles at once (one query per 500 ids)."""
        ids = sorted(set(title_ids))
        found: dict[str, list[Score]] = {}
        for batch in in_batches(ids):
            for r in await self._db.all(
                "SELECT title_id, metric, value, raw, provider, fetched, votes FROM scores "
                "WHERE title_id IN :ids",
                {"ids": batch},
                expanding=("ids",),
            ):
                found.setdefault(r[0], []).append(
                    Score(Metric(r[1]), r[2], r[3], r[4], date.fromisoformat(r[5]), r[6])
                )
        return found

    async def looked_up(self, title_id: str, provider: str) -> date | None:
        """When `provider` was last asked about a title (found or not), to avoid asking daily."""
        value = await self._db.scalar(
            "SELECT looked_up FROM score_lookups WHERE title_id = :title_id "
            "AND provider = :provider",
            {"title_id": title_id, "provider": provider},
        )
        return date.fromisoformat(value) if value else None

    async def save_scores(
        self, title_id: str, provider: str, scores: Iterable[Score], today: date
    ) -> None:
        """Cache scores (skipped on a read-only database: they are asked for again next time)."""
        rows = [
            {"title_id": title_id, "metric": s.metric.value, "provider": s.provider,
             "value": float(s.value), "raw": s.raw, "votes": s.votes,
             "fetched": s.fetched.isoformat()}
            for s in scores
        ]  # fmt: skip
        if self._db.read_only:
            return
        async with self._db.writing() as conn:
            if rows:
                await execute(
                    conn,
                    "INSERT INTO scores (title_id, metric, provider, value, raw, votes, fetched) "
                    "VALUES (:title_id, :metric, :provider, :value, :raw, :votes, :fetched) "
                    "ON CONFLICT (title_id, metric, provider) DO UPDATE SET "
                    "value = excluded.value, raw = excluded.raw, votes = excluded.votes, "
                    "fetched = excluded.fetched",
                    rows,
                )
            await execute(
                conn,
                "INSERT INTO score_lookups (title_id, provider, looked_up) "
                "VALUES (:title_id, :provider, :looked_up) ON CONFLICT (title_id, provider) "
                "DO UPDATE SET looked_up = excluded.looked_up",
                {"title_id": title_id, "provider": provider, "looked_up": today.isoformat()},
            )
