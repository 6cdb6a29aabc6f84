"""Slack installations (OAuth, many workspaces), OAuth `state` values, first sightings of keys
such as Slack event ids, and shared paces — shared by every process, so any replica can finish an
install, drop a retried event or take its turn to connect."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.store.database import Database, execute, sql


class Installs:
    """The installations part of Store."""

    _db: Database

    async def save_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None,
        data: dict[str, Any], now: datetime,
    ) -> None:  # fmt: skip
        await self._db.run(
            "INSERT INTO slack_installations (enterprise_id, team_id, user_id, data, "
            "installed_at) VALUES (:enterprise_id, :team_id, :user_id, :data, :now) "
            "ON CONFLICT (enterprise_id, team_id, user_id) DO UPDATE SET data = excluded.data, "
            "installed_at = excluded.installed_at",
            {"enterprise_id": enterprise_id or "", "team_id": team_id or "",
             "user_id": user_id or "", "data": json.dumps(data), "now": now.isoformat()},
        )  # fmt: skip

    async def find_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> dict[str, Any] | None:
        """The newest installation for a workspace (or one user's, when user_id is given)."""
        value = await self._db.scalar(
            "SELECT data FROM slack_installations WHERE enterprise_id = :enterprise_id "
            "AND team_id = :team_id"
            + (" AND user_id = :user_id" if user_id else "")
            + " ORDER BY installed_at DESC LIMIT 1",
            {"enterprise_id": enterprise_id or "", "team_id": team_id or "", "user_id": user_id},
        )
        return dict(json.loads(value)) if value else None

    async def delete_installations(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._db.run(
            "DELETE FROM slack_installations WHERE enterprise_id = :enterprise_id "
            "AND team_id = :team_id" + (" AND user_id = :user_id" if user_id else ""),
            {"enterprise_id": enterprise_id or "", "team_id": team_id or "", "user_id": user_id},
        )

    async def issue_oauth_state(self, state: str, now: datetime, lifetime: timedelta) -> None:
        """Remember an OAuth `state` for `lifetime` (expired ones are dropped meanwhile)."""
        async with self._db.writing() as conn:
            await execute(
                conn, "DELETE FROM oauth_states WHERE expires_at <= :now", {"now": now.isoformat()}
            )
            await execute(
                conn,
                "INSERT INTO oauth_states (state, expires_at) VALUES (:state, :expires)",
                {"state": state, "expires": (now + lifetime).isoformat()},
            )

    async def consume_oauth_state(self, state: str, now: datetime) -> bool:
        """True once for a `state` issued and not yet expired (any process may consume it)."""
        async with self._db.writing() as conn:
            result = await conn.execute(
                sql("DELETE FROM oauth_states WHERE state = :state RETURNING expires_at"),
                {"state": state},
            )
            row = result.first()
        return row is not None and datetime.fromisoformat(row[0]) > now

    async def first_sighting(
        self, namespace: str, key: str, now: datetime, keep: timedelta
    ) -> bool:
        """True the first time `key` is seen in `namespace` (by any process); keys older than
        `keep` are forgotten."""
        insert = self._db.dialect.insert_ignore(
            "first_sightings", "namespace, key, seen_at", ":namespace, :key, :now"
        )
        async with self._db.writing() as conn:
            await execute(
                conn,
                "DELETE FROM first_sightings WHERE namespace = :namespace AND seen_at < :before",
                {"namespace": namespace, "before": (now - keep).isoformat()},
            )
            added = await execute(
                conn, insert, {"namespace": namespace, "key": key, "now": now.isoformat()}
            )
        return added > 0

    async def reserve_slot(self, name: str, now: float, interval: float) -> float:
        """Reserve the next free slot of pace `name` (one start per `interval` seconds, across
        every process on this database); returns when it starts, in Unix seconds (>= now)."""
        async with self._db.writing() as conn:
            result = await conn.execute(
                sql(
                    "INSERT INTO paces (name, next_free) VALUES (:name, :first) "
                    "ON CONFLICT (name) DO UPDATE SET next_free = CASE "
                    "WHEN paces.next_free > :now THEN paces.next_free + :interval "
                    "ELSE :first END RETURNING next_free"
                ),
                {"name": name, "now": now, "interval": interval, "first": now + interval},
            )
            free = float(result.scalar_one())
        return free - interval
