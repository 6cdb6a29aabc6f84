"""Chart source health: validators for conditional GETs, each feed's failure streak, and when
each feed first showed each week (the history publication-aware polling learns from)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.models import SourceHealth
from bot.polling import Publication
from bot.store.database import Database


class Sources:
    """The source-health part of Store."""

    _db: Database

    async def source_health(self, name: str) -> SourceHealth:
        rows = await self._db.all(
            "SELECT etag, last_modified, last_success_at, last_attempt_at, failures, last_error, "
            "next_attempt_at FROM source_state WHERE name = :name",
            {"name": name},
        )
        if not rows:
            return SourceHealth(name)
        r = rows[0]
        return SourceHealth(name, r[0], r[1], _dt(r[2]), _dt(r[3]), r[4], r[5], _dt(r[6]))

    async def all_source_health(self) -> list[SourceHealth]:
        names = await self._db.all("SELECT name FROM source_state ORDER BY name")
        return [await self.source_health(r[0]) for r in names]

    async def record_source_success(
        self, name: str, etag: str | None, last_modified: str | None, now: datetime
    ) -> None:
        await self._db.run(
            "INSERT INTO source_state (name, etag, last_modified, last_success_at, "
            "last_attempt_at, failures, last_error, next_attempt_at) "
            "VALUES (:name, :etag, :last_modified, :now, :now, 0, NULL, NULL) "
            "ON CONFLICT (name) DO UPDATE SET "
            "etag = excluded.etag, last_modified = excluded.last_modified, "
            "last_success_at = excluded.last_success_at, "
            "last_attempt_at = excluded.last_attempt_at, failures = 0, last_error = NULL, "
            "next_attempt_at = NULL",
            {"name": name, "etag": etag, "last_modified": last_modified, "now": now.isoformat()},
        )

    async def record_source_failure(
        self, name: str, error: str, now: datetime, backoff: timedelta
    ) -> SourceHealth:
        """Count a failure and push the next attempt back; returns the new state."""
        await self._db.run(
            "INSERT INTO source_state (name, last_attempt_at, failures, last_error, "
            "next_attempt_at) VALUES (:name, :now, 1, :error, :next) ON CONFLICT (name) "
            "DO UPDATE SET last_attempt_at = excluded.last_attempt_at, "
            "failures = source_state.failures + 1, last_error = excluded.last_error, "
            "next_attempt_at = excluded.next_attempt_at",
            {"name": name, "now": now.isoformat(), "error": error,
             "next": (now + backoff).isoformat()},
        )  # fmt: skip
        return await self.source_health(name)

    async def publications(self, name: str | None = None, limit: int = 52) -> list[Publication]:
        """The latest weeks first seen in one feed (or in any, each week once), newest first."""
        if name is None:
            rows = await self._db.all(
                "SELECT week, MIN(published_at), MIN(seen_at) FROM source_publications "
                "GROUP BY week ORDER BY week DESC LIMIT :limit",
                {"limit": limit},
            )
        else:
            rows = await self._db.all(
                "SELECT week, published_at, seen_at FROM source_publications WHERE name = :name "
                "ORDER BY week DESC LIMIT :limit",
                {"name": name, "limit": limit},
            )
        return [
            Publication(date.fromisoformat(r[0]), datetime.fromisoformat(r[1]),
                        datetime.fromisoformat(r[2]))
            for r in rows
        ]  # fmt: skip

    async def record_publication(
        self, name: str, week: date, published_at: datetime, seen_at: datetime
    ) -> bool:
        """Remember when a feed first showed `week`; a later sighting changes nothing."""
        added = await self._db.run(
            "INSERT INTO source_publications (name, week, published_at, seen_at) "
            "VALUES (:name, :week, :published_at, :seen_at) ON CONFLICT (name, week) DO NOTHING",
            {"name": name, "week": week.isoformat(), "published_at": published_at.isoformat(),
             "seen_at": seen_at.isoformat()},
        )  # fmt: skip
        return added > 0

    async def newest_week_from(self, source: str) -> date | None:
        """The newest week stored from one feed (its charts name it as their source)."""
        value = await self._db.scalar(
            "SELECT MAX(week) FROM charts WHERE source = :source", {"source": source}
        )
        return date.fromisoformat(value) if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
