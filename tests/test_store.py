"""The store on real databases — every test here runs on a SQLite file and on a real PostgreSQL
(marker `postgres`): schema versions, idempotent ingest, never a worse copy, Netflix's retroactive
renames, subscriptions with baselines, the outbox's unique key, leases and fencing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.cards import Card
from bot.errors import StoreError
from bot.models import Alert, Chart, ChartKey, ChartRow, ServerSettings
from bot.sources.netflix import parse_top10
from bot.store import MIGRATIONS, SCHEMA_VERSION, Store
from bot.store.dialects import POSTGRES
from bot.store.outbox import ClaimQueue
from tests.conftest import TEST_DATA

NOW = datetime(2022, 7, 20, 9, 0, tzinfo=UTC)
NETFLIX = TEST_DATA / "netflix"
COUNTRIES = NETFLIX / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
US_FILMS = ChartKey("US", "films")
V4 = (TEST_DATA / "schema_v4.sql").read_text()


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def charts_of(name: str) -> tuple:
    return parse_top10((NETFLIX / name).read_bytes(), name)


def test_a_new_sqlite_file_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    import asyncio

    asyncio.run(_open_close(tmp_path / "fresh.db"))
    with sqlite3.connect(tmp_path / "fresh.db") as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        queue = [r[2] for r in db.execute("PRAGMA index_info(outbox_channel_queue)")]
    assert version == SCHEMA_VERSION == 10
    # a claim finds the channels with due alerts from this index alone (v10)
    assert queue == ["state", "platform", "channel_id", "id", "next_attempt_at", "lease_until"]
    assert mode == "wal"
    assert {"charts", "chart_entries", "title_matches", "scores", "servers", "server_regions",
            "outbox", "source_state", "slack_installations", "oauth_states",
            "first_sightings", "source_publications", "title_records", "merged_titles",
            "title_sets", "analyses", "paces"} <= tables  # fmt: skip


async def test_a_new_connection_opens_while_another_process_writes(tmp_path: Path) -> None:
    # each pooled connection used to set auto_vacuum and WAL again, which needs the file to
    # itself: the 2nd concurrent /trending failed with "database is locked" during an ingest
    path = tmp_path / "busy.db"
    await _open_close(path)
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE source_state SET etag = etag")
    store = await Store.open(path)
    try:
        assert await store.latest_week(US_FILMS) is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await store.close()


async def _open_close(target: str | Path) -> None:
    store = await Store.open(target)
    await store.close()


async def test_a_v4_sqlite_file_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    with sqlite3.connect(path) as db:
        db.executescript(V4)
        db.executescript(
            "INSERT INTO servers VALUES ('discord', 'g1', 'c1', 60, 'films,tv', NULL, NULL, 0, "
            "NULL, '2022-07-01');"
            "INSERT INTO server_regions VALUES ('discord', 'g1', 'US', '2022-06-19', 'x');"
            "INSERT INTO server_regions VALUES ('discord', 'g1', 'BR', '2022-06-19', 'x');"
            "INSERT INTO server_regions VALUES ('discord', 'g1', 'GB', '2022-06-19', 'x');"
        )
    store = await Store.open(path)
    try:
        loaded = await store.server("discord", "g1")
        assert loaded is not None and loaded.regions == ("US", "BR", "GB")  # order kept
        report = await store.save_charts(charts_of(COUNTRIES.name), "test", NOW)
        assert len(report.saved) == 56
        assert await store.first_sighting("slack-event", "Ev1", NOW, timedelta(hours=1))
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.postgres
async def test_a_v4_postgres_database_is_upgraded_in_place(pg_url: str) -> None:
    import asyncpg

    from bot.store.database import parse_target

    dsn = parse_target(pg_url).url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        for migration in MIGRATIONS[:4]:
            for statement in migration:
                await conn.execute(POSTGRES.ddl(statement))
        await conn.execute("CREATE TABLE trendbot_schema (version INTEGER PRIMARY KEY)")
        await conn.execute("INSERT INTO trendbot_schema VALUES (1), (2), (3), (4)")
        await conn.execute(
            "INSERT INTO servers VALUES ('slack', 'T1', 'C1', 60, 'films', NULL, NULL, 0, NULL, "
            "'2022-07-01')"
        )
    finally:
        await conn.close()
    store = await Store.open(pg_url)
    try:
        assert (await store.server("slack", "T1")) is not None
        await store.add_regions("slack", "T1", ["US", "GB"], NOW)
        loaded = await store.server("slack", "T1")
        assert loaded is not None and loaded.regions == ("US", "GB")
    finally:
        await store.close()


async def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer than this trendbot"):
        await Store.open(path)
    assert path.read_bytes() == before


async def test_opening_twice_migrates_once(db_target: str) -> None:
    first = await Store.open(db_target)
    second = await Store.open(db_target)  # finds the schema current
    await second.close()
    await first.close()


async def test_ingesting_the_same_file_twice_changes_nothing(store: Store) -> None:
    charts = charts_of(COUNTRIES.name)
    first = await store.save_charts(charts, "a", NOW)
    assert len(first.saved) == 56 and not first.replaced
    totals = await store.totals()
    second = await store.save_charts(charts, "a", NOW + timedelta(hours=1))
    assert second.unchanged == 56 and not second.changed and not second.kept
    assert await store.totals() == totals
    assert totals.rows == 560 and totals.regions == 4 and totals.weeks == 7


async def test_a_worse_copy_never_replaces_a_stored_week(store: Store) -> None:
    chart = next(c for c in charts_of("global_9col_2026-07-12_to_2026-07-19.tsv"))
    await store.save_charts([chart], "good", NOW)
    stripped = replace(
        chart, rows=tuple(r._replace(views=None, runtime_hours=None) for r in chart.rows)
    )
    report = await store.save_charts([stripped], "worse", NOW, edition=date(2030, 1, 6))
    assert report.kept == ((chart.key, chart.week),) and not report.changed
    assert await store.chart(chart.key, chart.week) == chart


async def test_a_more_complete_copy_replaces_a_stored_week(store: Store) -> None:
    chart = next(c for c in charts_of("global_9col_2026-07-12_to_2026-07-19.tsv"))
    stripped = replace(chart, rows=tuple(r._replace(views=None) for r in chart.rows))
    await store.save_charts([stripped], "early", NOW)
    report = await store.save_charts([chart], "complete", NOW)
    assert report.replaced == ((chart.key, chart.week),)
    assert await store.chart(chart.key, chart.week) == chart


async def test_retroactive_renames_follow_the_newest_edition_only(store: Store) -> None:
    old = charts_of("countries_US_2022-01-23_to_2022-01-30_as-published-2022-03.tsv")
    new = charts_of("countries_US_2022-01-23_to_2022-01-30_as-of-2022-12.tsv")
    tv = ChartKey("US", "tv")
    await store.save_charts(old, "2022-03 edition", NOW, edition=date(2022, 2, 27))
    stored = await store.chart(tv, date(2022, 1, 30))
    assert stored is not None and stored.rows[0].season == "Ozark: Season 4 Part 1"

    report = await store.save_charts(new, "2022-12 edition", NOW, edition=date(2022, 11, 13))
    assert (tv, date(2022, 1, 30)) in report.replaced
    renamed = await store.chart(tv, date(2022, 1, 30))
    assert renamed is not None and renamed.rows[0].season == "Ozark: Season 4"

    # an older edition arriving late does not rename them back
    late = await store.save_charts(old, "2022-03 edition again", NOW, edition=date(2022, 2, 27))
    assert (tv, date(2022, 1, 30)) in late.kept
    again = await store.chart(tv, date(2022, 1, 30))
    assert again is not None and again.rows[0].season == "Ozark: Season 4"


async def test_history_queries_on_real_weeks(store: Store) -> None:
    charts = charts_of(COUNTRIES.name)
    await store.save_charts(charts, "a", NOW)
    assert sorted(await store.all_charts(), key=_order) == sorted(charts, key=_order)
    assert await store.latest_week(US_FILMS) == date(2022, 7, 17)
    assert (await store.latest_weeks())[US_FILMS] == date(2022, 7, 17)
    history = await store.title_history("Backtrace")
    assert [(k.region, w, r) for k, w, r in history] == [
        ("US", date(2022, 6, 26), 8),
        ("US", date(2022, 7, 3), 5),
    ]


async def test_subscriptions_take_a_baseline_and_respect_categories(store: Store) -> None:
    await store.save_charts(charts_of(COUNTRIES.name), "a", NOW)
    settings = ServerSettings("discord", "g1", "c1", 60, ("films",))
    await store.save_server(settings, NOW)
    assert await store.add_regions("discord", "g1", ["US", "GB"], NOW) == ["US", "GB"]
    assert await store.add_regions("discord", "g1", ["US"], NOW) == []
    subs = (await store.subscribers()).get(("US", "films"), [])
    assert [(s.server_id, s.channel_id, s.baseline_week) for s in subs] == [
        ("g1", "c1", date(2022, 7, 17))
    ]
    assert ("US", "tv") not in await store.subscribers()
    assert [s.server_id for s in (await store.subscribers())[("GB", "films")]] == ["g1"]
    loaded = await store.server("discord", "g1")
    assert loaded is not None and loaded.regions == ("US", "GB")


async def test_disabling_a_channel_stops_its_alerts_and_records_why(store: Store) -> None:
    await store.save_server(ServerSettings("discord", "g1", "c1", 60, ("films",)), NOW)
    await store.add_regions("discord", "g1", ["US"], NOW)
    await store.enqueue([_alert("c1", "Backtrace")], NOW)
    affected = await store.disable_channel("discord", "c1", "Discord 403 Forbidden", NOW)
    assert affected == ["g1"]
    assert await store.subscribers() == {}
    server = await store.server("discord", "g1")
    assert server is not None and server.disabled_reason == "Discord 403 Forbidden"
    assert await store.due(NOW) == []
    assert (await store.outbox_counts()) == {"failed": 1}


def _order(chart: Chart) -> tuple[date, ChartKey]:
    return (chart.week, chart.key)


def _alert(channel: str, title: str, week: date = date(2022, 6, 26)) -> Alert:
    return Alert("discord", "g1", channel, US_FILMS, week, title, "surprise", Card(title))


async def test_outbox_unique_key_prevents_duplicates(store: Store) -> None:
    assert await store.enqueue([_alert("c1", "Backtrace"), _alert("c2", "Backtrace")], NOW) == 2
    assert await store.enqueue([_alert("c1", "Backtrace")], NOW) == 0
    due = await store.due(NOW)
    assert [(p.alert.channel_id, p.alert.card.title) for p in due] == [
        ("c1", "Backtrace"),
        ("c2", "Backtrace"),
    ]
    await store.mark_sent_many([due[0].id], NOW)
    assert await store.enqueue([_alert("c1", "Backtrace")], NOW) == 0  # sent stays sent
    await store.mark_retry(due[1].id, NOW + timedelta(minutes=5), "HTTP 502", delivered_maybe=True)
    assert await store.due(NOW) == []
    [again] = await store.due(NOW + timedelta(minutes=5))
    assert again.alert.channel_id == "c2" and not again.maybe_sent  # never claimed: not in doubt
    await store.claim(again.id, NOW)
    await store.mark_retry(again.id, NOW, "timeout", delivered_maybe=True)
    assert (await store.due(NOW))[0].maybe_sent  # a send that timed out may have gone out
    await store.mark_retry(again.id, NOW, "429", delivered_maybe=False)
    assert not (await store.due(NOW))[0].maybe_sent


async def test_scores_and_overrides_round_trip(store: Store) -> None:
    from bot.models import Metric, Score

    score = Score(Metric.RT_CRITICS, 9.0, "9%", "omdb", date(2022, 7, 1), None)
    await store.save_scores("tm414073", "omdb", [score], date(2022, 7, 1))
    assert await store.cached_scores("tm414073") == [score]
    assert await store.looked_up("tm414073", "omdb") == date(2022, 7, 1)
    await store.set_override("Endless Love", "movie", None, "admin", NOW)
    assert await store.overrides() == {("Endless Love", "movie"): None}


async def test_source_health_counts_failures_and_resets_on_success(store: Store) -> None:
    state = await store.record_source_failure("netflix", "HTTP 503", NOW, timedelta(minutes=5))
    state = await store.record_source_failure("netflix", "HTTP 503", NOW, timedelta(minutes=10))
    assert state.failures == 2 and state.next_attempt_at == NOW + timedelta(minutes=10)
    await store.record_source_success("netflix", '"v2"', None, NOW)
    healthy = await store.source_health("netflix")
    assert healthy.failures == 0 and healthy.etag == '"v2"' and healthy.last_success_at == NOW


async def test_each_week_is_recorded_once_per_feed_with_when_it_was_first_seen(
    store: Store,
) -> None:
    tuesday = datetime(2022, 6, 28, 19, 2, tzinfo=UTC)
    assert await store.publications("a") == []
    assert await store.record_publication("a", date(2022, 6, 26), tuesday, NOW)
    # seen again (a later correction, another poll): the first sighting stays
    assert not await store.record_publication("a", date(2022, 6, 26), NOW, NOW)
    assert await store.record_publication("a", date(2022, 6, 19), tuesday - timedelta(7), NOW)
    assert await store.record_publication("b", date(2022, 6, 26), tuesday - timedelta(hours=1),
                                          NOW - timedelta(hours=1))  # fmt: skip
    [newest, older] = await store.publications("a")
    assert (newest.week, newest.published_at, newest.seen_at) == (date(2022, 6, 26), tuesday, NOW)
    assert older.week == date(2022, 6, 19)
    assert [p.week for p in await store.publications("a", limit=1)] == [date(2022, 6, 26)]
    # across feeds each week once, with its earliest times
    merged = await store.publications()
    assert [(p.week, p.published_at) for p in merged] == [
        (date(2022, 6, 26), tuesday - timedelta(hours=1)),
        (date(2022, 6, 19), tuesday - timedelta(7)),
    ]
    # the newest week a feed's charts came from (a database from before the history)
    assert await store.newest_week_from("countries.tsv") is None
    await store.save_charts(charts_of("countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"),
                            "countries.tsv", NOW)  # fmt: skip
    assert await store.newest_week_from("countries.tsv") == date(2022, 7, 17)


async def test_chart_rows_round_trip_exactly(store: Store) -> None:
    chart = charts_of("global_12col_2025-06-15_to_2025-06-22.tsv")[0]
    await store.save_charts([chart], "a", NOW)
    loaded = await store.chart(chart.key, chart.week)
    assert loaded == chart
    assert isinstance(loaded.rows[0], ChartRow)


async def test_claims_lease_each_alert_to_one_worker_and_fence_outcomes(store: Store) -> None:
    await store.enqueue([_alert(f"c{n}", "Backtrace") for n in range(4)], NOW)
    lease = timedelta(seconds=60)
    first = await store.claim_due(["discord"], NOW, lease, limit=3)
    second = await store.claim_due(["discord"], NOW + timedelta(seconds=30), lease, limit=3)
    assert len(first) == 3 and len(second) == 1
    assert not {p.id for p in first} & {p.id for p in second}
    assert await store.claim_due(["discord"], NOW + timedelta(seconds=30), lease) == []
    # the first worker dies; after its lease another takes its alerts over
    later = NOW + timedelta(seconds=61)
    taken = await store.claim_due(["discord"], later, lease)
    assert {p.id for p in taken} == {p.id for p in first}
    # the dead worker's late outcome is refused; the new holder's is recorded
    assert not await store.claim(first[0].id, later, first[0].lease)
    assert await store.mark_sent_many([first[0].id], later, first[0].lease) == 0
    assert await store.claim(taken[0].id, later, taken[0].lease)
    assert await store.mark_sent_many([p.id for p in taken], later, taken[0].lease) == 3
    assert (await store.outbox_counts()) == {"sent": 3, "pending": 1}


async def test_claims_take_turns_across_channels_and_skip_other_platforms(store: Store) -> None:
    queued = [_alert("busy", f"title {n}") for n in range(30)]
    queued += [replace(_alert(f"quiet{n}", "Backtrace"), platform="slack") for n in range(50)]
    queued += [_alert("other", "Backtrace")]
    await store.enqueue(queued, NOW)
    batch = await store.claim_due(["discord"], NOW, timedelta(seconds=60), limit=6, per_channel=5)
    channels = [p.alert.channel_id for p in batch]
    # the 50 queued for a platform not running here are not read; "other" is not starved
    assert "other" in channels and channels.count("busy") == 5
    released = [p.id for p in batch]
    await store.release(released, batch[0].lease or "")
    again = await store.claim_due(["discord"], NOW, timedelta(seconds=60), limit=100)
    assert {p.id for p in again} >= set(released)  # given back: claimable at once


async def test_concurrent_claims_are_written_together_each_with_its_own_answer(
    db_target: str,
) -> None:
    store = await Store.open(db_target)
    try:
        await store.enqueue([_alert(f"c{n}", "Backtrace") for n in range(6)], NOW)
        batch = await store.claim_due(["discord"], NOW, timedelta(seconds=60))
        lease = batch[0].lease
        await store.mark_sent_many([batch[0].id], NOW, lease)  # no longer pending
        writes: list[list[int]] = []
        real = store.claim_many

        async def counted(ids: Sequence[int], now: datetime, lease: str | None) -> set[int]:
            writes.append(list(ids))
            return await real(ids, now, lease)

        store._claim_queue = ClaimQueue(counted)
        answers = await asyncio.gather(*(store.claim(p.id, NOW, lease) for p in batch))
        assert answers == [False, True, True, True, True, True]
        assert writes == [[p.id for p in batch]]  # one transaction for the six senders
        assert not await store.claim(batch[1].id, NOW, "another worker's lease")
        # one message's alerts: one answer, the ids still ours
        ids = [p.id for p in batch[:3]]
        assert await store.claim_together([(n, lease) for n in ids], NOW) == set(ids[1:])
        assert writes[-1] == ids
        assert await store.outbox_counts() == {"sent": 1, "pending": 5}
    finally:
        await store.close()


async def test_a_failed_claim_write_reaches_every_waiting_sender() -> None:
    async def broken(ids: Sequence[int], now: datetime, lease: str | None) -> set[int]:
        raise StoreError("the database went away")

    queue = ClaimQueue(broken)
    found = await asyncio.gather(*(queue.claim(((n, None),), NOW) for n in range(3)),
                                 return_exceptions=True)  # fmt: skip
    assert [type(f) for f in found] == [StoreError] * 3
    # the queue is not left stuck: a later claim gets its own answer (here the same failure)
    with pytest.raises(StoreError):
        await asyncio.wait_for(queue.claim(((9, None),), NOW), timeout=5)


async def test_first_sighting_is_true_once_and_forgets_old_keys(store: Store) -> None:
    keep = timedelta(hours=1)
    assert await store.first_sighting("slack-event", "Ev1", NOW, keep)
    assert not await store.first_sighting("slack-event", "Ev1", NOW + timedelta(minutes=5), keep)
    assert await store.first_sighting("other", "Ev1", NOW, keep)  # namespaces are separate
    assert await store.first_sighting("slack-event", "Ev1", NOW + timedelta(hours=2), keep)


async def test_a_shared_pace_gives_each_process_its_own_slot(db_target: str) -> None:
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        now = 1_700_000_000.0
        starts = [
            await first.reserve_slot("discord-identify:0", now, 5.0),
            await second.reserve_slot("discord-identify:0", now + 1, 5.0),
            await first.reserve_slot("discord-identify:0", now + 2, 5.0),
            await second.reserve_slot("discord-identify:1", now + 2, 5.0),  # another bucket
        ]
        assert starts == [now, now + 5, now + 10, now + 2]
        # once the queue has drained, a slot starts at once
        assert await second.reserve_slot("discord-identify:0", now + 60, 5.0) == now + 60
    finally:
        await first.close()
        await second.close()


async def test_oauth_states_are_consumed_once_before_they_expire(store: Store) -> None:
    life = timedelta(minutes=10)
    await store.issue_oauth_state("s1", NOW, life)
    await store.issue_oauth_state("s2", NOW, life)
    assert await store.consume_oauth_state("s1", NOW + timedelta(minutes=1))
    assert not await store.consume_oauth_state("s1", NOW + timedelta(minutes=1))
    assert not await store.consume_oauth_state("s2", NOW + timedelta(minutes=11))
    assert not await store.consume_oauth_state("never", NOW)


async def test_a_lock_has_one_holder_across_store_instances(db_target: str) -> None:
    one, two = await Store.open(db_target), await Store.open(db_target)
    try:
        assert await one.locks.try_acquire("job:refresh")
        assert not await two.locks.try_acquire("job:refresh")
        async with two.holding("job:digest") as mine:
            assert mine
        await one.locks.release("job:refresh")
        assert await two.locks.try_acquire("job:refresh")
    finally:
        await one.close()
        await two.close()


async def test_read_only_stores_read_and_never_write(db_target: str) -> None:
    writer = await Store.open(db_target)
    await writer.save_charts(charts_of(COUNTRIES.name), "a", NOW)
    reader = await Store.open(db_target, read_only=True)
    try:
        assert await reader.latest_week(US_FILMS) == date(2022, 7, 17)
        await reader.save_matches("movie", [], NOW)  # caches are skipped, not errors
        with pytest.raises(StoreError, match="read-only"):
            await reader.save_server(ServerSettings("discord", "g1", "c1", 60, ("films",)), NOW)
        # a writer keeps writing while the reader reads
        await writer.save_server(ServerSettings("discord", "g1", "c1", 60, ("films",)), NOW)
        assert await reader.server("discord", "g1") is not None
    finally:
        await reader.close()
        await writer.close()
