"""Title knowledge in the database: every source's title records, and each name's merged titles.

Records arrive in sets by origin ("bundle", "report:2025H2", "imdb", "tmdb", …); loading a set
replaces its rows in one transaction, so a half-read file never mixes with the last good copy.
Merged titles are a cache per name, dropped whenever a name's records change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.database import Database, execute, in_batches, sql
from bot.titles import codec
from bot.titles.facts import TitleFacts
from bot.titles.records import TitleRecord

_COLUMNS = (
    "origin", "key", "source", "as_of", "name", "kind", "year", "year_suffix", "season",
    "season_label", "netflix_release", "licensed", "runtime", "original", "ref", "imdb_id",
    "imdb_score", "imdb_votes", "tmdb_score", "tmdb_votes", "popularity", "views", "hours",
    "genres", "countries", "language",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO title_records ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)})"
)
_SELECT = f"SELECT {', '.join(_COLUMNS[1:])} FROM title_records"
BATCH = 5_000
IMDB_ORIGIN = "imdb"


class Catalog:
    """The title-knowledge part of Store."""

    _db: Database

    async def title_set_version(self, origin: str) -> str | None:
        """The version of a loaded set of records (None: never loaded)."""
        value = await self._db.scalar(
            "SELECT version FROM title_sets WHERE origin = :origin", {"origin": origin}
        )
        return str(value) if value is not None else None

    async def replace_title_set(
        self, origin: str, version: str, records: Iterable[TitleRecord], now: datetime
    ) -> int:
        """Swap one origin's records for `records` in one transaction; returns how many."""
        count = 0
        keys: set[str] = set()
        async with self._db.writing() as conn:
            keys.update(await _keys_of(conn, origin))  # their merged titles change too
            await execute(conn, "DELETE FROM title_records WHERE origin = :origin",
                          {"origin": origin})  # fmt: skip
            batch: list[dict[str, Any]] = []
            for record in records:
                batch.append(_row(origin, record))
                keys.add(record.key)
                if len(batch) >= BATCH:
                    await execute(conn, _INSERT, batch)
                    count += len(batch)
                    batch = []
            if batch:
                await execute(conn, _INSERT, batch)
                count += len(batch)
            await _forget_merged(conn, keys, everything=len(keys) > 20_000)
            await _set_version(conn, origin, version, count, now)
        return count

    async def load_title_rows(
        self, origin: str, version: str, columns: Sequence[str], rows: Iterable[Sequence[object]],
        now: datetime,
    ) -> int:  # fmt: skip
        """Swap one origin's records for typed rows (`columns` names their fields; "origin" is
        added): the fast path for a whole bundle, in one transaction."""
        statement = self._db.dialect.bulk_insert("title_records", ("origin", *columns))
        count = 0
        async with self._db.writing() as conn:
            await execute(conn, "DELETE FROM title_records WHERE origin = :origin",
                          {"origin": origin})  # fmt: skip
            batch: list[tuple[object, ...]] = []
            for row in rows:
                batch.append((origin, *row))
                if len(batch) >= BATCH:
                    await conn.exec_driver_sql(statement, batch)
                    count += len(batch)
                    batch = []
            if batch:
                await conn.exec_driver_sql(statement, batch)
                count += len(batch)
            await _forget_merged(conn, set(), everything=True)
            await _set_version(conn, origin, version, count, now)
        return count

    async def load_imdb(
        self,
        version: str,
        basics: Iterable[TitleRecord],
        ratings: Iterable[tuple[str, float, int]],
        now: datetime,
    ) -> int:
        """Swap the IMDb set: `basics` streamed in, then `ratings` (tconst, score, votes) set on
        the titles kept, all in one transaction (readers see the old set until it commits)."""
        columns = _COLUMNS
        statement = self._db.dialect.bulk_insert("title_records", columns)
        rate = (
            "UPDATE title_records SET imdb_score = :score, imdb_votes = :votes "
            "WHERE origin = :origin AND ref = :ref"
        )
        count = 0
        async with self._db.writing() as conn:
            await execute(conn, "DELETE FROM title_records WHERE origin = :origin",
                          {"origin": IMDB_ORIGIN})  # fmt: skip
            batch: list[tuple[object, ...]] = []
            for record in basics:
                row = _row(IMDB_ORIGIN, record)
                batch.append(tuple(row[c] for c in columns))
                if len(batch) >= BATCH:
                    await conn.exec_driver_sql(statement, batch)
                    count += len(batch)
                    batch = []
            if batch:
                await conn.exec_driver_sql(statement, batch)
                count += len(batch)
            scores: list[dict[str, Any]] = []
            for tconst, score, votes in ratings:
                scores.append(
                    {"score": score, "votes": votes, "origin": IMDB_ORIGIN, "ref": tconst}
                )
                if len(scores) >= BATCH:
                    await execute(conn, rate, scores)
                    scores = []
            if scores:
                await execute(conn, rate, scores)
            await _forget_merged(conn, set(), everything=True)
            await _set_version(conn, IMDB_ORIGIN, version, count, now)
        return count

    async def title_sets(self) -> list[tuple[str, str, str, int]]:
        """(origin, version, loaded_at, records) of every loaded set of title records."""
        rows = await self._db.all(
            "SELECT origin, version, loaded_at, records FROM title_sets ORDER BY origin"
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def add_title_records(self, origin: str, records: Sequence[TitleRecord]) -> int:
        """Add records to an origin (online lookups add a few at a time)."""
        if not records or self._db.read_only:
            return 0
        async with self._db.writing() as conn:
            added = await execute(conn, _INSERT, [_row(origin, r) for r in records])
            await _forget_merged(conn, {r.key for r in records})
        return added

    async def title_records(self, keys: Iterable[str]) -> dict[str, list[TitleRecord]]:
        """Every record of these name keys."""
        wanted = sorted(set(keys))
        found: dict[str, list[TitleRecord]] = {}
        for batch in in_batches(wanted):
            rows = await self._db.all(
                f"{_SELECT} WHERE key IN :keys",
                {"keys": batch},
                expanding=("keys",),
            )
            for r in rows:
                record = _record(r)
                found.setdefault(record.key, []).append(record)
        return found

    async def merged_titles(self, keys: Iterable[str]) -> dict[str, tuple[TitleFacts, ...]]:
        """The cached merged titles of these keys (keys not merged yet are absent)."""
        wanted = sorted(set(keys))
        found: dict[str, tuple[TitleFacts, ...]] = {}
        for batch in in_batches(wanted):
            rows = await self._db.all(
                "SELECT key, titles FROM merged_titles WHERE key IN :keys",
                {"keys": batch},
                expanding=("keys",),
            )
            for key, text in rows:
                found[key] = codec.load(text)
        return found

    async def save_merged_titles(
        self, merged: dict[str, tuple[TitleFacts, ...]], now: datetime
    ) -> None:
        """Cache merged titles (skipped on a read-only database)."""
        if not merged or self._db.read_only:
            return
        stamp = now.isoformat()
        rows = [{"key": k, "titles": codec.dump(v), "merged_at": stamp} for k, v in merged.items()]
        ids = [{"id": t.id, "key": k} for k, v in merged.items() for t in v]
        async with self._db.writing() as conn:
            await execute(
                conn,
                "INSERT INTO merged_titles (key, titles, merged_at) "
                "VALUES (:key, :titles, :merged_at) ON CONFLICT (key) DO UPDATE "
                "SET titles = excluded.titles, merged_at = excluded.merged_at",
                rows,
            )
            if ids:
                await execute(
                    conn,
                    "INSERT INTO title_ids (id, key) VALUES (:id, :key) "
                    "ON CONFLICT (id) DO UPDATE SET key = excluded.key",
                    ids,
                )

    async def key_of_title(self, title_id: str) -> str | None:
        value = await self._db.scalar("SELECT key FROM title_ids WHERE id = :id", {"id": title_id})
        return str(value) if value is not None else None

    async def popular_film_keys(self) -> list[str]:
        """Name keys of TMDB's yearly popular films (to judge what an unknown year means)."""
        rows = await self._db.all(
            "SELECT DISTINCT key FROM title_records WHERE source LIKE 'tmdb-popular:%'"
        )
        return [r[0] for r in rows]

    async def film_names_of_year(self, year: int) -> list[str]:
        """Names of films released in `year`, any source."""
        rows = await self._db.all(
            "SELECT DISTINCT name FROM title_records WHERE kind = 'movie' AND year = :year",
            {"year": year},
        )
        return [r[0] for r in rows]

    async def newest_title_source(self) -> date | None:
        value = await self._db.scalar(
            "SELECT MAX(as_of) FROM title_records WHERE origin NOT LIKE 'lookup:%'"
        )
        return date.fromisoformat(value) if value else None

    async def title_keys_like(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """(key, name) of titles whose key starts with `prefix` (autocomplete, search)."""
        rows = await self._db.all(
            "SELECT key, MIN(name) FROM title_records WHERE key >= :low AND key < :high "
            "GROUP BY key ORDER BY key LIMIT :limit",
            {"low": prefix, "high": prefix + "\uffff", "limit": limit},
        )
        return [(r[0], r[1]) for r in rows]


async def _keys_of(conn: AsyncConnection, origin: str) -> list[str]:
    result = await conn.execute(
        sql("SELECT DISTINCT key FROM title_records WHERE origin = :origin"), {"origin": origin}
    )
    return [r[0] for r in result]


async def _forget_merged(
    conn: AsyncConnection, keys: set[str], *, everything: bool = False
) -> None:
    if everything:
        await execute(conn, "DELETE FROM merged_titles")
        await execute(conn, "DELETE FROM title_ids")
        return
    wanted = sorted(keys)
    for batch in in_batches(wanted):
        part = {"keys": batch}
        await execute(conn, "DELETE FROM merged_titles WHERE key IN :keys", part, ("keys",))
        await execute(conn, "DELETE FROM title_ids WHERE key IN :keys", part, ("keys",))


async def _set_version(
    conn: AsyncConnection, origin: str, version: str, count: int, now: datetime
) -> None:
    await execute(conn, "DELETE FROM title_sets WHERE origin = :origin", {"origin": origin})
    await execute(
        conn,
        "INSERT INTO title_sets (origin, version, loaded_at, records) "
        "VALUES (:origin, :version, :loaded_at, :records)",
        {"origin": origin, "version": version, "loaded_at": now.isoformat(), "records": count},
    )


def _row(origin: str, r: TitleRecord) -> dict[str, Any]:
    return {
        "origin": origin, "key": r.key, "source": r.source, "as_of": r.as_of.isoformat(),
        "name": r.name, "kind": r.kind, "year": r.year, "year_suffix": r.year_suffix,
        "season": r.season, "season_label": r.season_label,
        "netflix_release": r.netflix_release.isoformat() if r.netflix_release else None,
        "licensed": None if r.licensed is None else int(r.licensed),
        "runtime": r.runtime_minutes, "original": r.original_name, "ref": r.ref,
        "imdb_id": r.imdb_id, "imdb_score": r.imdb_score, "imdb_votes": r.imdb_votes,
        "tmdb_score": r.tmdb_score, "tmdb_votes": r.tmdb_votes, "popularity": r.popularity,
        "views": r.views, "hours": r.hours, "genres": "|".join(r.genres),
        "countries": "|".join(r.countries), "language": r.language,
    }  # fmt: skip


def _record(r: Sequence[Any]) -> TitleRecord:
    (key, source, as_of, name, kind, year, year_suffix, season, season_label, release, licensed,
     runtime, original, ref, imdb_id, imdb_score, imdb_votes, tmdb_score, tmdb_votes, popularity,
     views, hours, genres, countries, language) = r  # fmt: skip
    return TitleRecord(
        source=source,
        as_of=date.fromisoformat(as_of),
        name=name,
        kind="movie" if kind == "movie" else "show" if kind == "show" else None,
        year=year,
        year_suffix=year_suffix,
        season=season,
        season_label=season_label,
        netflix_release=date.fromisoformat(release) if release else None,
        licensed=None if licensed is None else bool(licensed),
        runtime_minutes=runtime,
        original_name=original,
        ref=ref,
        imdb_id=imdb_id,
        imdb_score=imdb_score,
        imdb_votes=imdb_votes,
        tmdb_score=tmdb_score,
        tmdb_votes=tmdb_votes,
        popularity=popularity,
        views=views,
        hours=hours,
        genres=tuple(g for g in (genres or "").split("|") if g),
        countries=tuple(c for c in (countries or "").split("|") if c),
        language=language,
        key=key,
    )
