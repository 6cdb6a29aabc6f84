"""The SQLite store (aiosqlite, WAL): every SQL statement of trendbot lives in this module.

Charts and their rows, catalog matches and cached scores, per-server settings and regions, the alert
outbox, source health and Slack installations. The schema is versioned with PRAGMA user_version;
`Store.open` applies missing migrations in order. Writes are serialised through one lock so that a
transaction on the shared connection never swallows another coroutine's statement.
"""

from __future__ import annotations

import asyncio
import json
import logging
import operator
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import (
    Alert,
    Card,
    Category,
    Chart,
    ChartKey,
    ChartRow,
    Language,
    Match,
    Metric,
    PendingAlert,
    Score,
    ServerSettings,
    SourceHealth,
)

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: charts
    """
    CREATE TABLE charts (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT '', week TEXT NOT NULL,
        source TEXT NOT NULL, saved_at TEXT NOT NULL,
        edition TEXT NOT NULL, quality INTEGER NOT NULL,
        alerts_planned INTEGER NOT NULL DEFAULT 0,
        UNIQUE (service, region, category, language, week)
    );
    CREATE INDEX charts_week ON charts (week, category);
    CREATE TABLE chart_entries (
        chart_id INTEGER NOT NULL REFERENCES charts (id) ON DELETE CASCADE,
        rank INTEGER NOT NULL, title TEXT NOT NULL, season TEXT,
        weeks_in_top10 INTEGER, hours_viewed INTEGER, views INTEGER, runtime REAL,
        PRIMARY KEY (chart_id, rank)
    ) WITHOUT ROWID;
    """,
    # 2: matching and scores
    """
    CREATE TABLE title_matches (
        chart_title TEXT NOT NULL, kind TEXT NOT NULL,
        title_id TEXT, confidence REAL NOT NULL, method TEXT NOT NULL, matched_at TEXT NOT NULL,
        PRIMARY KEY (chart_title, kind)
    );
    CREATE TABLE match_overrides (
        chart_title TEXT NOT NULL, kind TEXT NOT NULL, title_id TEXT,
        set_by TEXT NOT NULL, set_at TEXT NOT NULL,
        PRIMARY KEY (chart_title, kind)
    );
    CREATE TABLE scores (
        title_id TEXT NOT NULL, metric TEXT NOT NULL, provider TEXT NOT NULL,
        value REAL NOT NULL, raw TEXT NOT NULL, votes INTEGER, fetched TEXT NOT NULL,
        PRIMARY KEY (title_id, metric, provider)
    );
    CREATE TABLE score_lookups (
        title_id TEXT NOT NULL, provider TEXT NOT NULL, looked_up TEXT NOT NULL,
        PRIMARY KEY (title_id, provider)
    );
    """,
    # 3: servers, subscriptions, outbox, source health
    """
    CREATE TABLE servers (
        platform TEXT NOT NULL, server_id TEXT NOT NULL, channel_id TEXT,
        threshold INTEGER NOT NULL, categories TEXT NOT NULL,
        disabled_reason TEXT, disabled_at TEXT, digest INTEGER NOT NULL DEFAULT 0,
        admin_channel_id TEXT, updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, server_id)
    );
    CREATE TABLE server_regions (
        platform TEXT NOT NULL, server_id TEXT NOT NULL, region TEXT NOT NULL,
        baseline_week TEXT, added_at TEXT NOT NULL,
        PRIMARY KEY (platform, server_id, region),
        FOREIGN KEY (platform, server_id) REFERENCES servers ON DELETE CASCADE
    );
    CREATE INDEX server_regions_region ON server_regions (region);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL, server_id TEXT NOT NULL, channel_id TEXT NOT NULL,
        service TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
        language TEXT NOT NULL, week TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,
        card TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
        claimed_at TEXT, last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT,
        UNIQUE (platform, channel_id, service, region, category, language, week, title, kind)
    );
    CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
    CREATE TABLE source_state (
        name TEXT PRIMARY KEY, etag TEXT, last_modified TEXT,
        last_success_at TEXT, last_attempt_at TEXT, failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, next_attempt_at TEXT
    );
    """,
    # 4: Slack installations (OAuth, many workspaces)
    """
    CREATE TABLE slack_installations (
        enterprise_id TEXT NOT NULL DEFAULT '', team_id TEXT NOT NULL DEFAULT '',
        user_id TEXT NOT NULL DEFAULT '', data TEXT NOT NULL, installed_at TEXT NOT NULL,
        PRIMARY KEY (enterprise_id, team_id, user_id)
    );
    """,
    # 5: events already seen (Slack re-sends an unacknowledged event, maybe to another replica)
    """
    CREATE TABLE seen_events (
        namespace TEXT NOT NULL, key TEXT NOT NULL, expires_at TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID;
    CREATE INDEX seen_events_expiry ON seen_events (expires_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_INSERT_ENTRY = (
    "INSERT INTO chart_entries (chart_id, rank, title, season, weeks_in_top10, hours_viewed, "
    "views, runtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_COUNT_NONE = operator.methodcaller("count", None)
_CHART_COLUMNS = "id, service, region, category, language, week"


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What save_charts did with each incoming list."""

    saved: tuple[tuple[ChartKey, date], ...] = ()
    replaced: tuple[tuple[ChartKey, date], ...] = ()
    unchanged: int = 0
    kept: tuple[tuple[ChartKey, date], ...] = ()  # stored copy as good or better; incoming ignored

    @property
    def changed(self) -> tuple[tuple[ChartKey, date], ...]:
        return self.saved + self.replaced


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A server whose alert channel wants alerts for a region and category."""

    platform: str
    server_id: str
    channel_id: str
    threshold: int
    baseline_week: date | None


@dataclass(frozen=True, slots=True)
class Totals:
    weeks: int
    regions: int
    charts: int
    rows: int
    first_week: date | None = None
    last_week: date | None = None


class Store:
    """All persistence. Create one with `await Store.open(path)` and share it."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        db = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            store = cls(db)
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        version = await self._scalar("PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"database schema v{version} is newer than this trendbot (v{SCHEMA_VERSION})"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            async with self._tx():
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {number}")
            log.info("database migrated to schema v%d", number)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[None]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._all(sql, params)
        return rows[0][0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        # one trip to the database thread (execute, fetch and close would each be one)
        return list(await self._db.execute_fetchall(sql, params))

    async def healthy(self) -> bool:
        try:
            return bool(await self._scalar("SELECT 1") == 1)
        except Exception:  # the health check reports, it never raises
            return False

    # ---- charts ---------------------------------------------------------------------------------

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

    async def _stored_in_week(self, week: str) -> dict[tuple[ChartKey, str], _Stored]:
        """The lists stored for one week, rows included, to compare incoming copies with."""
        found: dict[tuple[ChartKey, str], _Stored] = {}
        for r in await self._all(
            "SELECT c.id, c.service, c.region, c.category, c.language, c.week, c.quality, "
            "c.edition, e.rank, e.title, e.season, e.weeks_in_top10, e.hours_viewed, e.views, "
            "e.runtime FROM charts c JOIN chart_entries e ON e.chart_id = c.id "
            "WHERE c.week = ? ORDER BY c.id, e.rank",
            (week,),
        ):
            key = (ChartKey(r[2], _category(r[3]), _language(r[4]), r[1]), r[5])
            stored = found.get(key)
            if stored is None:
                stored = found[key] = _Stored(r[0], r[6], r[7], [])
            stored.rows.append(ChartRow(*r[8:]))
        return found

    @asynccontextmanager
    async def saving(
        self, source: str, now: datetime, edition: date | None = None
    ) -> AsyncIterator[ChartSaver]:
        """One ingest transaction; `add` lists as they are parsed, `flush` now and then.

        Rolled back whole if the block raises (a file found bad half-way stores nothing).
        """
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            saver: ChartSaver | None = None
            try:
                # entries are written before their chart rows (those wait for the edition)
                await self._db.execute("PRAGMA defer_foreign_keys = ON")
                first_id = int(await self._scalar("SELECT COALESCE(MAX(id), 0) FROM charts")) + 1
                saver = ChartSaver(self, first_id, source, now, edition)
                yield saver
                await saver.finish()
            except BaseException:
                if saver is not None:
                    await saver.settle()
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def unplanned(self) -> list[tuple[ChartKey, date]]:
        """Lists stored whose alerts were not planned yet (a crash can fall in between)."""
        rows = await self._all(
            f"SELECT {_CHART_COLUMNS} FROM charts WHERE alerts_planned = 0 ORDER BY week"
        )
        return [
            (ChartKey(r[2], _category(r[3]), _language(r[4]), r[1]), date.fromisoformat(r[5]))
            for r in rows
        ]

    async def mark_planned(self, charts: Iterable[tuple[ChartKey, date]]) -> None:
        rows = [
            (k.service, k.region, k.category, k.language, week.isoformat()) for k, week in charts
        ]
        async with self._tx():
            await self._db.executemany(
                "UPDATE charts SET alerts_planned = 1 WHERE service = ? AND region = ? "
                "AND category = ? AND language = ? AND week = ?",
                rows,
            )

    async def chart(self, key: ChartKey, week: date) -> Chart | None:
        rows = await self._all(
            "SELECT e.rank, e.title, e.season, e.weeks_in_top10, e.hours_viewed, e.views, "
            "e.runtime FROM charts c JOIN chart_entries e ON e.chart_id = c.id "
            "WHERE c.service = ? AND c.region = ? AND c.category = ? AND c.language = ? "
            "AND c.week = ? ORDER BY e.rank",
            (key.service, key.region, key.category, key.language, week.isoformat()),
        )
        if not rows:
            return None
        return Chart(key, week, tuple(ChartRow(*row) for row in rows))

    async def all_charts(self) -> list[Chart]:
        """Every stored list with its rows (to build the in-memory history once)."""
        grouped: dict[int, tuple[ChartKey, date, list[ChartRow]]] = {}
        for r in await self._all(
            "SELECT c.id, c.service, c.region, c.category, c.language, c.week, e.rank, e.title, "
            "e.season, e.weeks_in_top10, e.hours_viewed, e.views, e.runtime "
            "FROM charts c JOIN chart_entries e ON e.chart_id = c.id ORDER BY c.id, e.rank"
        ):
            found = grouped.get(r[0])
            if found is None:
                key = ChartKey(r[2], _category(r[3]), _language(r[4]), r[1])
                found = grouped[r[0]] = (key, date.fromisoformat(r[5]), [])
            found[2].append(ChartRow(*r[6:]))
        return [Chart(key, week, tuple(rows)) for key, week, rows in grouped.values()]

    async def weeks(self, key: ChartKey | None = None) -> list[date]:
        """Weeks stored, oldest first (for one list, or any list)."""
        if key is None:
            rows = await self._all("SELECT DISTINCT week FROM charts ORDER BY week")
        else:
            rows = await self._all(
                "SELECT week FROM charts WHERE service = ? AND region = ? AND category = ? "
                "AND language = ? ORDER BY week",
                (key.service, key.region, key.category, key.language),
            )
        return [date.fromisoformat(r[0]) for r in rows]

    async def latest_week(self, key: ChartKey | None = None) -> date | None:
        if key is None:
            value = await self._scalar("SELECT MAX(week) FROM charts")
        else:
            value = await self._scalar(
                "SELECT MAX(week) FROM charts WHERE service = ? AND region = ? AND category = ? "
                "AND language = ?",
                (key.service, key.region, key.category, key.language),
            )
        return date.fromisoformat(value) if value else None

    async def title_history(self, title: str) -> list[tuple[ChartKey, date, int]]:
        """Every (list, week, rank) where a chart title appears, oldest first."""
        rows = await self._all(
            "SELECT c.service, c.region, c.category, c.language, c.week, e.rank "
            "FROM chart_entries e JOIN charts c ON c.id = e.chart_id "
            "WHERE e.title = ? ORDER BY c.week, c.region",
            (title,),
        )
        return [(ChartKey(r[1], r[2], r[3], r[0]), date.fromisoformat(r[4]), r[5]) for r in rows]

    async def chart_titles(self) -> list[tuple[str, str]]:
        """Distinct (title, category) pairs ever charted, for matching and autocomplete."""
        rows = await self._all(
            "SELECT DISTINCT e.title, c.category FROM chart_entries e "
            "JOIN charts c ON c.id = e.chart_id"
        )
        return [(r[0], r[1]) for r in rows]

    async def totals(self) -> Totals:
        row = (
            await self._all(
                "SELECT COUNT(DISTINCT week), COUNT(DISTINCT region), COUNT(*), "
                "MIN(week), MAX(week) FROM charts"
            )
        )[0]
        entries = await self._scalar("SELECT COUNT(*) FROM chart_entries")
        return Totals(
            weeks=row[0],
            regions=row[1],
            charts=row[2],
            rows=int(entries),
            first_week=date.fromisoformat(row[3]) if row[3] else None,
            last_week=date.fromisoformat(row[4]) if row[4] else None,
        )

    # ---- matching and scores --------------------------------------------------------------------

    async def save_matches(self, kind: str, matches: Iterable[Match], now: datetime) -> None:
        rows = [
            (m.query, kind, m.title.id if m.title else None, m.confidence, m.method.value,
             now.isoformat())
            for m in matches
        ]  # fmt: skip
        if not rows:
            return
        async with self._tx():
            await self._db.executemany(
                "INSERT INTO title_matches (chart_title, kind, title_id, confidence, method, "
                "matched_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chart_title, kind) DO UPDATE "
                "SET title_id = excluded.title_id, confidence = excluded.confidence, "
                "method = excluded.method, matched_at = excluded.matched_at",
                rows,
            )

    async def overrides(self) -> dict[tuple[str, str], str | None]:
        """Admin-set matches: (chart title, kind) → catalog id, or None for "no match"."""
        rows = await self._all("SELECT chart_title, kind, title_id FROM match_overrides")
        return {(r[0], r[1]): r[2] for r in rows}

    async def set_override(
        self,
        chart_title: str,
        kind: str,
        title_id: str | None,
        set_by: str,
        now: datetime,
    ) -> None:
        async with self._tx():
            await self._db.execute(
                "INSERT INTO match_overrides (chart_title, kind, title_id, set_by, set_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (chart_title, kind) DO UPDATE SET "
                "title_id = excluded.title_id, set_by = excluded.set_by, set_at = excluded.set_at",
                (chart_title, kind, title_id, set_by, now.isoformat()),
            )
            await self._db.execute(
                "DELETE FROM title_matches WHERE chart_title = ? AND kind = ?",
                (chart_title, kind),
            )

    async def cached_scores(self, title_id: str) -> list[Score]:
        rows = await self._all(
            "SELECT metric, value, raw, provider, fetched, votes FROM scores WHERE title_id = ?",
            (title_id,),
        )
        return [Score(Metric(r[0]), r[1], r[2], r[3], date.fromisoformat(r[4]), r[5]) for r in rows]

    async def cached_scores_many(self, title_ids: Iterable[str]) -> dict[str, list[Score]]:
        """Cached scores for many titles at once (one query per 500 ids)."""
        ids = sorted(set(title_ids))
        found: dict[str, list[Score]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in await self._all(
                "SELECT title_id, metric, value, raw, provider, fetched, votes FROM scores "
                f"WHERE title_id IN ({marks})",
                chunk,
            ):
                found.setdefault(r[0], []).append(
                    Score(Metric(r[1]), r[2], r[3], r[4], date.fromisoformat(r[5]), r[6])
                )
        return found

    async def looked_up(self, title_id: str, provider: str) -> date | None:
        """When `provider` was last asked about a title (found or not), to avoid asking daily."""
        value = await self._scalar(
            "SELECT looked_up FROM score_lookups WHERE title_id = ? AND provider = ?",
            (title_id, provider),
        )
        return date.fromisoformat(value) if value else None

    async def save_scores(
        self, title_id: str, provider: str, scores: Iterable[Score], today: date
    ) -> None:
        rows = [
            (
                title_id,
                s.metric.value,
                s.provider,
                s.value,
                s.raw,
                s.votes,
                s.fetched.isoformat(),
            )
            for s in scores
        ]
        async with self._tx():
            await self._db.executemany(
                "INSERT OR REPLACE INTO scores (title_id, metric, provider, value, raw, votes, "
                "fetched) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            await self._db.execute(
                "INSERT OR REPLACE INTO score_lookups (title_id, provider, looked_up) "
                "VALUES (?, ?, ?)",
                (title_id, provider, today.isoformat()),
            )

    # ---- servers and subscriptions --------------------------------------------------------------

    async def server(self, platform: str, server_id: str) -> ServerSettings | None:
        rows = await self._all(
            "SELECT channel_id, threshold, categories, disabled_reason, digest, admin_channel_id "
            "FROM servers "
            "WHERE platform = ? AND server_id = ?",
            (platform, server_id),
        )
        if not rows:
            return None
        regions = await self._all(
            "SELECT region FROM server_regions WHERE platform = ? AND server_id = ? ORDER BY rowid",
            (platform, server_id),
        )
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
        )

    async def save_server(self, settings: ServerSettings, now: datetime) -> None:
        """Create or update a server's settings (not its regions)."""
        async with self._tx():
            await self._db.execute(
                "INSERT INTO servers (platform, server_id, channel_id, threshold, categories, "
                "disabled_reason, disabled_at, digest, admin_channel_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, server_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "threshold = excluded.threshold, categories = excluded.categories, "
                "disabled_reason = excluded.disabled_reason, disabled_at = excluded.disabled_at, "
                "digest = excluded.digest, admin_channel_id = excluded.admin_channel_id, "
                "updated_at = excluded.updated_at",
                (
                    settings.platform,
                    settings.server_id,
                    settings.channel_id,
                    settings.threshold,
                    ",".join(settings.categories),
                    settings.disabled_reason,
                    now.isoformat() if settings.disabled_reason else None,
                    int(settings.digest),
                    settings.admin_channel_id,
                    now.isoformat(),
                ),
            )

    async def add_regions(
        self, platform: str, server_id: str, regions: Iterable[str], now: datetime
    ) -> list[str]:
        """Subscribe a server to regions, baselined at the latest stored week; returns new ones."""
        added: list[str] = []
        async with self._tx():
            for region in regions:
                baseline = await self._scalar(
                    "SELECT MAX(week) FROM charts WHERE region = ?", (region,)
                )
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO server_regions (platform, server_id, region, "
                    "baseline_week, added_at) VALUES (?, ?, ?, ?, ?)",
                    (platform, server_id, region, baseline, now.isoformat()),
                )
                if cursor.rowcount:
                    added.append(region)
        return added

    async def remove_regions(self, platform: str, server_id: str, regions: Iterable[str]) -> int:
        removed = 0
        async with self._tx():
            for region in regions:
                cursor = await self._db.execute(
                    "DELETE FROM server_regions WHERE platform = ? AND server_id = ? "
                    "AND region = ?",
                    (platform, server_id, region),
                )
                removed += cursor.rowcount
        return removed

    async def remove_server(self, platform: str, server_id: str) -> None:
        """Forget a server entirely (bot removed, app uninstalled): settings, regions, queue."""
        async with self._tx():
            await self._db.execute(
                "DELETE FROM servers WHERE platform = ? AND server_id = ?",
                (platform, server_id),
            )
            await self._db.execute(
                "DELETE FROM outbox WHERE platform = ? AND server_id = ? AND state = 'pending'",
                (platform, server_id),
            )

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, now: datetime
    ) -> list[str]:
        """Stop alerts to a channel the platform refuses; returns the affected server ids."""
        async with self._tx():
            rows = await self._all(
                "SELECT server_id FROM servers WHERE platform = ? AND channel_id = ? "
                "AND disabled_reason IS NULL",
                (platform, channel_id),
            )
            await self._db.execute(
                "UPDATE servers SET disabled_reason = ?, disabled_at = ? WHERE platform = ? "
                "AND channel_id = ? AND disabled_reason IS NULL",
                (reason, now.isoformat(), platform, channel_id),
            )
            await self._db.execute(
                "UPDATE outbox SET state = 'failed', last_error = ? WHERE platform = ? "
                "AND channel_id = ? AND state = 'pending'",
                (reason, platform, channel_id),
            )
        return [r[0] for r in rows]

    async def subscribers(self) -> dict[tuple[str, str], list[Subscriber]]:
        """Every enabled alert subscription, by (region, category)."""
        rows = await self._all(
            "SELECT s.platform, s.server_id, s.channel_id, s.threshold, r.baseline_week, "
            "s.categories, r.region FROM servers s JOIN server_regions r "
            "ON r.platform = s.platform AND r.server_id = s.server_id "
            "WHERE s.channel_id IS NOT NULL AND s.disabled_reason IS NULL"
        )
        found: dict[tuple[str, str], list[Subscriber]] = {}
        for r in rows:
            sub = Subscriber(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]) if r[4] else None)
            for category in _categories(r[5]):
                found.setdefault((r[6], category), []).append(sub)
        return found

    async def servers(self, platform: str | None = None) -> list[ServerSettings]:
        rows = await self._all(
            "SELECT platform, server_id FROM servers"
            + (" WHERE platform = ?" if platform else "")
            + " ORDER BY 1, 2",
            (platform,) if platform else (),
        )
        found = [await self.server(r[0], r[1]) for r in rows]
        return [s for s in found if s is not None]

    # ---- outbox ---------------------------------------------------------------------------------

    async def enqueue(self, alerts: Iterable[Alert], now: datetime) -> int:
        """Queue alerts; an alert already queued or sent (same unique key) is ignored."""
        cards: dict[int, str] = {}  # one card is often shared by many channels' alerts
        rows = [
            (a.platform, a.server_id, a.channel_id, a.key.service, a.key.region, a.key.category,
             a.key.language, a.week.isoformat(), a.title, a.kind,
             cards.get(id(a.card)) or cards.setdefault(id(a.card), json.dumps(a.card.to_dict())),
             now.isoformat(), now.isoformat())
            for a in alerts
        ]  # fmt: skip
        if not rows:
            return 0
        async with self._tx():
            before = self._db.total_changes
            await self._db.executemany(
                "INSERT OR IGNORE INTO outbox (platform, server_id, channel_id, service, region, "
                "category, language, week, title, kind, card, next_attempt_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self._db.total_changes - before

    async def due(self, now: datetime, limit: int = 500) -> list[PendingAlert]:
        """Pending alerts whose next attempt is due, oldest first."""
        rows = await self._all(
            "SELECT id, platform, server_id, channel_id, service, region, category, language, "
            "week, title, kind, card, attempts, claimed_at FROM outbox "
            "WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (now.isoformat(), limit),
        )
        return [
            PendingAlert(
                r[0],
                Alert(
                    r[1],
                    r[2],
                    r[3],
                    ChartKey(r[5], _category(r[6]), _language(r[7]), r[4]),
                    date.fromisoformat(r[8]),
                    r[9],
                    r[10],
                    Card.from_dict(json.loads(r[11])),
                ),
                r[12],
                r[13] is not None,
            )
            for r in rows
        ]

    async def next_due(self) -> datetime | None:
        value = await self._scalar(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        )
        return datetime.fromisoformat(value) if value else None

    async def claim(self, alert_id: int, now: datetime) -> None:
        """Note that a send is about to start: after a crash, the alert may already be out."""
        async with self._tx():
            await self._db.execute(
                "UPDATE outbox SET claimed_at = ? WHERE id = ?", (now.isoformat(), alert_id)
            )

    async def mark_sent_many(self, alert_ids: Sequence[int], now: datetime) -> None:
        async with self._tx():
            await self._db.executemany(
                "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                [(now.isoformat(), alert_id) for alert_id in alert_ids],
            )

    async def mark_retry(
        self, alert_id: int, next_attempt: datetime, error: str, *, delivered_maybe: bool
    ) -> None:
        """Try again later. `delivered_maybe` keeps the claim: after a timeout or a 5xx the
        message may have gone out, so the next attempt checks before posting again."""
        async with self._tx():
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                "claimed_at = CASE WHEN ? THEN claimed_at END WHERE id = ?",
                (next_attempt.isoformat(), error, int(delivered_maybe), alert_id),
            )

    async def mark_failed(self, alert_id: int, error: str) -> None:
        async with self._tx():
            await self._db.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ? "
                "WHERE id = ?",
                (error, alert_id),
            )

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {r[0]: r[1] for r in rows}

    async def prune_outbox(self, before: datetime) -> int:
        async with self._tx():
            cursor = await self._db.execute(
                "DELETE FROM outbox WHERE state != 'pending' AND created_at < ?",
                (before.isoformat(),),
            )
            return cursor.rowcount

    # ---- source health --------------------------------------------------------------------------

    async def source_health(self, name: str) -> SourceHealth:
        rows = await self._all(
            "SELECT etag, last_modified, last_success_at, last_attempt_at, failures, last_error, "
            "next_attempt_at FROM source_state WHERE name = ?",
            (name,),
        )
        if not rows:
            return SourceHealth(name)
        r = rows[0]
        return SourceHealth(
            name, r[0], r[1], _dt(r[2]), _dt(r[3]), r[4], r[5], _dt(r[6])
        )  # fmt: skip

    async def all_source_health(self) -> list[SourceHealth]:
        names = await self._all("SELECT name FROM source_state ORDER BY name")
        return [await self.source_health(r[0]) for r in names]

    async def record_source_success(
        self, name: str, etag: str | None, last_modified: str | None, now: datetime
    ) -> None:
        async with self._tx():
            await self._db.execute(
                "INSERT INTO source_state (name, etag, last_modified, last_success_at, "
                "last_attempt_at, failures, last_error, next_attempt_at) "
                "VALUES (?, ?, ?, ?, ?, 0, NULL, NULL) ON CONFLICT (name) DO UPDATE SET "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "last_success_at = excluded.last_success_at, "
                "last_attempt_at = excluded.last_attempt_at, failures = 0, last_error = NULL, "
                "next_attempt_at = NULL",
                (name, etag, last_modified, now.isoformat(), now.isoformat()),
            )

    async def record_source_failure(
        self, name: str, error: str, now: datetime, backoff: timedelta
    ) -> SourceHealth:
        """Count a failure and push the next attempt back; returns the new state."""
        async with self._tx():
            await self._db.execute(
                "INSERT INTO source_state (name, last_attempt_at, failures, last_error, "
                "next_attempt_at) VALUES (?, ?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_attempt_at = excluded.last_attempt_at, failures = failures + 1, "
                "last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at",
                (name, now.isoformat(), error, (now + backoff).isoformat()),
            )
        return await self.source_health(name)

    # ---- Slack installations --------------------------------------------------------------------

    async def save_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None,
        data: dict[str, Any], now: datetime,
    ) -> None:  # fmt: skip
        async with self._tx():
            await self._db.execute(
                "INSERT OR REPLACE INTO slack_installations (enterprise_id, team_id, user_id, "
                "data, installed_at) VALUES (?, ?, ?, ?, ?)",
                (enterprise_id or "", team_id or "", user_id or "", json.dumps(data),
                 now.isoformat()),
            )  # fmt: skip

    async def find_installation(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> dict[str, Any] | None:
        """The newest installation for a workspace (or one user's, when user_id is given)."""
        sql = (
            "SELECT data FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
            + (" AND user_id = ?" if user_id else "")
            + " ORDER BY installed_at DESC LIMIT 1"
        )
        params: tuple[str, ...] = (enterprise_id or "", team_id or "")
        value = await self._scalar(sql, params + ((user_id,) if user_id else ()))
        return dict(json.loads(value)) if value else None

    async def delete_installations(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        sql = "DELETE FROM slack_installations WHERE enterprise_id = ? AND team_id = ?"
        params: tuple[str, ...] = (enterprise_id or "", team_id or "")
        if user_id:
            sql += " AND user_id = ?"
            params += (user_id,)
        async with self._tx():
            await self._db.execute(sql, params)

    # ---- seen events (h-platform; replaced by the store package on merge) ---------------------

    async def first_sighting(
        self, namespace: str, key: str, now: datetime, keep: timedelta
    ) -> bool:
        """True the first time `key` is seen in `namespace` (within `keep` of its first sighting);
        expired keys are forgotten on the way."""
        async with self._tx():
            await self._db.execute(
                "DELETE FROM seen_events WHERE expires_at <= ?", (now.isoformat(),)
            )
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO seen_events (namespace, key, expires_at) VALUES (?, ?, ?)",
                (namespace, key, (now + keep).isoformat()),
            )
            return bool(cursor.rowcount == 1)


class ChartSaver:
    """Decides each incoming list against the stored copy and writes the new rows in batches
    that the database thread inserts while the caller goes on parsing."""

    # small batches start overlapping the parse sooner and leave a shorter tail (bench/README.md)
    FLUSH_ROWS = 4_000

    def __init__(
        self, store: Store, first_id: int, source: str, now: datetime, edition: date | None
    ) -> None:
        self._store = store
        self._db = store._db
        # stored lists, looked up a week at a time as the file's weeks appear
        self._existing: dict[tuple[ChartKey, str], _Stored] = {}
        self._weeks_looked_up: set[str] = set()
        self._next_id = first_id
        self._source = source
        self._stamp = now.isoformat()
        self._edition = edition
        self._newest = date.min
        self._chart_rows: list[tuple[Any, ...]] = []  # written last, once the edition is known
        self._entry_rows: list[tuple[Any, ...]] = []
        self._undecided: list[Chart] = []  # as complete as the stored copy, but different
        self._stale: list[tuple[int]] = []
        self._saved: list[tuple[ChartKey, date]] = []
        self._replaced: list[tuple[ChartKey, date]] = []
        self._kept: list[tuple[ChartKey, date]] = []
        self._unchanged = 0
        self._writing: asyncio.Future[Any] | None = None
        self.report = SaveReport()

    @property
    def buffered(self) -> int:
        return len(self._entry_rows)

    async def add(self, chart: Chart) -> None:
        self._newest = max(self._newest, chart.week)
        week = chart.week.isoformat()
        if week not in self._weeks_looked_up:
            self._weeks_looked_up.add(week)
            self._existing.update(await self._store._stored_in_week(week))
        found = self._existing.get((chart.key, week))
        if found is None:
            self._saved.append((chart.key, chart.week))
            self._write(chart)
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
        """Hand the buffered rows to the database thread; return while it writes them."""
        if self._writing is not None:
            await self._writing  # one batch at a time keeps memory bounded
        rows, self._entry_rows = self._entry_rows, []
        self._writing = asyncio.ensure_future(self._db.executemany(_INSERT_ENTRY, rows))
        await asyncio.sleep(0)  # let the task queue its batch before the caller parses on

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
        if self._stale:
            await self._db.executemany("DELETE FROM charts WHERE id = ?", self._stale)
        await self._db.executemany(
            "INSERT INTO charts (id, service, region, category, language, week, source, "
            "saved_at, edition, quality, alerts_planned) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row[:8] + (edition,) + row[8:] for row in self._chart_rows],
        )
        self.report = SaveReport(
            tuple(self._saved), tuple(self._replaced), self._unchanged, tuple(self._kept)
        )

    async def settle(self) -> None:
        """Wait for the batch being written (its error, if any, is raised here)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    def _replace(self, chart: Chart, old_id: int) -> None:
        self._stale.append((old_id,))
        self._replaced.append((chart.key, chart.week))
        self._write(chart, planned=True)  # a revised list (renames) never alerts again

    def _write(self, chart: Chart, *, planned: bool = False) -> None:
        chart_id = self._next_id
        self._next_id += 1
        key = chart.key
        self._chart_rows.append(
            (chart_id, key.service, key.region, key.category, key.language,
             chart.week.isoformat(), self._source, self._stamp, _quality(chart.rows),
             int(planned))
        )  # fmt: skip
        self._entry_rows.extend((chart_id, *row) for row in chart.rows)


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


def _categories(text: str) -> tuple[Category, ...]:
    return tuple(_category(c) for c in text.split(",") if c)


def _category(text: str) -> Category:
    return "tv" if text == "tv" else "films"


def _language(text: str) -> Language:
    if text == "english":
        return "english"
    if text == "non-english":
        return "non-english"
    return ""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
