"""Per-server settings, the regions each server follows (baselined), and alert subscribers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from bot.models import Category, ServerSettings
from bot.store.database import Database, execute, sql


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A server whose alert channel wants alerts for a region and category."""

    platform: str
    server_id: str
    channel_id: str
    threshold: int
    baseline_week: date | None
    language: str = ""  # pinned by the server's admins
    locale: str = ""  # the platform's language for the server


class Servers:
    """The servers-and-subscriptions part of Store."""

    _db: Database

    async def server(self, platform: str, server_id: str) -> ServerSettings | None:
        async with self._db.reading() as conn:
            params = {"platform": platform, "server_id": server_id}
            rows = (
                await conn.execute(
                    sql(
                        "SELECT channel_id, threshold, categories, disabled_reason, digest, "
                        "admin_channel_id, language, locale FROM servers "
                        "WHERE platform = :platform AND server_id = :server_id"
                    ),
                    params,
                )
            ).all()
            if not rows:
                return None
            regions = (
                await conn.execute(
                    sql(
                        "SELECT region FROM server_regions WHERE platform = :platform "
                        "AND server_id = :server_id ORDER BY position, added_at, region"
                    ),
                    params,
                )
            ).all()
        r = rows[0]
        return ServerSettings(
            platform,
            server_id,
            r[0],
            r[1],
            _categories(r[2]),
            tuple(x[0] for x in regions),
            r[3],
            bool(r[4]),
            r[5],
            r[6],
            r[7],
        )

    async def save_server(self, settings: ServerSettings, now: datetime) -> None:
        """Create or update a server's settings (not its regions)."""
        await self._db.run(
            "INSERT INTO servers (platform, server_id, channel_id, threshold, categories, "
            "disabled_reason, disabled_at, digest, admin_channel_id, language, locale, updated_at) "
            "VALUES (:platform, :server_id, :channel_id, :threshold, :categories, "
            ":disabled_reason, :disabled_at, :digest, :admin_channel_id, :language, :locale, "
            ":updated_at) "
            "ON CONFLICT (platform, server_id) DO UPDATE SET channel_id = excluded.channel_id, "
            "threshold = excluded.threshold, categories = excluded.categories, "
            "disabled_reason = excluded.disabled_reason, disabled_at = excluded.disabled_at, "
            "digest = excluded.digest, admin_channel_id = excluded.admin_channel_id, "
            "language = excluded.language, updated_at = excluded.updated_at",
            {
                "platform": settings.platform,
                "server_id": settings.server_id,
                "channel_id": settings.channel_id,
                "threshold": settings.threshold,
                "categories": ",".join(settings.categories),
                "disabled_reason": settings.disabled_reason,
                "disabled_at": now.isoformat() if settings.disabled_reason else None,
                "digest": int(settings.digest),
                "admin_channel_id": settings.admin_channel_id,
                "language": settings.language,
                "locale": settings.locale,
                "updated_at": now.isoformat(),
            },
        )

    async def server_languages(self, platform: str, server_id: str) -> tuple[str, str] | None:
        """A server's pinned language and its platform's, one small read (every answer asks)."""
        rows = await self._db.all(
            "SELECT language, locale FROM servers "
            "WHERE platform = :platform AND server_id = :server_id",
            {"platform": platform, "server_id": server_id},
        )
        return (rows[0][0], rows[0][1]) if rows else None

    async def set_server_locale(self, platform: str, server_id: str, locale: str) -> None:
        """Record the language the platform reports for a server (only that column; a whole-row
        save keeps it, so the two cannot undo each other)."""
        await self._db.run(
            "UPDATE servers SET locale = :locale "
            "WHERE platform = :platform AND server_id = :server_id",
            {"platform": platform, "server_id": server_id, "locale": locale},
        )

    async def set_admin_channel(
        self, platform: str, server_id: str, channel_id: str, now: datetime
    ) -> None:
        """Remember where a server's admins last configured the bot (only that column)."""
        await self._db.run(
            "UPDATE servers SET admin_channel_id = :channel_id, updated_at = :now "
            "WHERE platform = :platform AND server_id = :server_id",
            {"platform": platform, "server_id": server_id, "channel_id": channel_id,
             "now": now.isoformat()},
        )  # fmt: skip

    async def add_regions(
        self, platform: str, server_id: str, regions: Iterable[str], now: datetime
    ) -> list[str]:
        """Subscribe a server to regions, baselined at the latest stored week; returns new ones."""
        added: list[str] = []
        insert = self._db.dialect.insert_ignore(
            "server_regions",
            "platform, server_id, region, baseline_week, added_at, position",
            ":platform, :server_id, :region, (SELECT MAX(week) FROM charts WHERE region = "
            ":region), :added_at, (SELECT COALESCE(MAX(position), 0) + 1 FROM server_regions "
            "WHERE platform = :platform AND server_id = :server_id)",
        )
        async with self._db.writing() as conn:
            for region in regions:
                params = {"platform": platform, "server_id": server_id, "region": region,
                          "added_at": now.isoformat()}  # fmt: skip
                if await execute(conn, insert, params):
                    added.append(region)
        return added

    async def remove_regions(self, platform: str, server_id: str, regions: Iterable[str]) -> int:
        removed = 0
        async with self._db.writing() as conn:
            for region in regions:
                removed += await execute(
                    conn,
                    "DELETE FROM server_regions WHERE platform = :platform "
                    "AND server_id = :server_id AND region = :region",
                    {"platform": platform, "server_id": server_id, "region": region},
                )
        return removed

    async def remove_server(self, platform: str, server_id: str) -> None:
        """Forget a server entirely (bot removed, app uninstalled, `config forget`): settings,
        regions, and its alerts, sent or not (PRIVACY.md promises all of it)."""
        params = {"platform": platform, "server_id": server_id}
        async with self._db.writing() as conn:
            await execute(
                conn, "DELETE FROM servers WHERE platform = :platform AND server_id = :server_id",
                params,
            )  # fmt: skip
            await execute(
                conn,
                "DELETE FROM outbox WHERE platform = :platform AND server_id = :server_id",
                params,
            )

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, now: datetime
    ) -> list[str]:
        """Stop alerts to a channel the platform refuses; returns the affected server ids."""
        params = {"platform": platform, "channel_id": channel_id, "reason": reason,
                  "now": now.isoformat()}  # fmt: skip
        async with self._db.writing() as conn:
            rows = (
                await conn.execute(
                    sql(
                        "SELECT server_id FROM servers WHERE platform = :platform "
                        "AND channel_id = :channel_id AND disabled_reason IS NULL"
                    ),
                    params,
                )
            ).all()
            await execute(
                conn,
                "UPDATE servers SET disabled_reason = :reason, disabled_at = :now "
                "WHERE platform = :platform AND channel_id = :channel_id "
                "AND disabled_reason IS NULL",
                params,
            )
            await execute(
                conn,
                "UPDATE outbox SET state = 'failed', last_error = :reason, lease_token = NULL, "
                "lease_until = NULL WHERE platform = :platform AND channel_id = :channel_id "
                "AND state = 'pending'",
                params,
            )
        return [r[0] for r in rows]

    async def subscribers(self) -> dict[tuple[str, str], list[Subscriber]]:
        """Every enabled alert subscription, by (region, category), in no particular order."""
        # two plain scans joined here: at 100k servers SQLite's join (an index search per
        # region row, then a sort) cost three times as much
        async with self._db.reading() as conn:
            servers = (
                await conn.execute(
                    sql(
                        "SELECT platform, server_id, channel_id, threshold, categories, language, "
                        "locale FROM servers "
                        "WHERE channel_id IS NOT NULL AND disabled_reason IS NULL"
                    )
                )
            ).all()
            regions = (
                await conn.execute(
                    sql("SELECT platform, server_id, region, baseline_week FROM server_regions")
                )
            ).all()
        # a server's regions usually share one baseline, and so one Subscriber
        settings: dict[tuple[str, str], list[Any]] = {
            (r[0], r[1]): [r[2], r[3], r[4], None, None, r[5], r[6]] for r in servers
        }  # channel, threshold, categories, the last (baseline, Subscriber) made, languages
        found: dict[tuple[str, str], list[Subscriber]] = {}
        targets: dict[tuple[str, str], list[list[Subscriber]]] = {}  # (region, categories)
        for platform, server_id, region, baseline in regions:
            if (server := settings.get((platform, server_id))) is None:
                continue  # no alert channel, or alerts disabled
            sub = server[4]
            if sub is None or server[3] != baseline:
                when = date.fromisoformat(baseline) if baseline else None
                sub = server[4] = Subscriber(
                    platform, server_id, server[0], server[1], when, server[5], server[6]
                )
                server[3] = baseline
            if (lists := targets.get((region, server[2]))) is None:
                lists = targets[(region, server[2])] = [
                    found.setdefault((region, c), []) for c in _categories(server[2])
                ]
            for subs in lists:
                subs.append(sub)
        return found

    async def servers(self, platform: str | None = None) -> list[ServerSettings]:
        """Every server's settings (two queries, however many servers)."""
        where = " WHERE platform = :platform" if platform else ""
        params = {"platform": platform} if platform else {}
        async with self._db.reading() as conn:
            rows = (
                await conn.execute(
                    sql(
                        "SELECT platform, server_id, channel_id, threshold, categories, "
                        "disabled_reason, digest, admin_channel_id, language, locale "
                        f"FROM servers{where} "
                        "ORDER BY platform, server_id"
                    ),
                    params,
                )
            ).all()
            regions = (
                await conn.execute(
                    sql(
                        f"SELECT platform, server_id, region FROM server_regions{where} "
                        "ORDER BY platform, server_id, position, added_at, region"
                    ),
                    params,
                )
            ).all()
        followed: dict[tuple[str, str], list[str]] = {}
        for r in regions:
            followed.setdefault((r[0], r[1]), []).append(r[2])
        return [
            ServerSettings(r[0], r[1], r[2], r[3], _categories(r[4]),
                           tuple(followed.get((r[0], r[1]), ())), r[5], bool(r[6]), r[7], r[8],
                           r[9])
            for r in rows
        ]  # fmt: skip

    async def server_of_channel(self, platform: str, channel_id: str) -> str | None:
        """The server whose alert channel this is (Slack alerts need the workspace's token)."""
        value = await self._db.scalar(
            "SELECT server_id FROM servers WHERE platform = :platform "
            "AND channel_id = :channel_id ORDER BY server_id LIMIT 1",
            {"platform": platform, "channel_id": channel_id},
        )
        return str(value) if value is not None else None


@lru_cache(maxsize=64)
def _categories(text: str) -> tuple[Category, ...]:
    return tuple("tv" if c == "tv" else "films" for c in text.split(",") if c)
