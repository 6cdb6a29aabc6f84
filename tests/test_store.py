"""The SQLite store on real files: schema versioning, idempotent ingest, never a worse copy,
Netflix's retroactive renames, subscriptions with baselines, and the outbox's unique key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.models import Alert, Card, Chart, ChartKey, ChartRow, ServerSettings
from bot.sources.netflix import parse_top10
from bot.store import SCHEMA_VERSION, Store
from tests.conftest import TEST_DATA

NOW = datetime(2022, 7, 20, 9, 0, tzinfo=UTC)
NETFLIX = TEST_DATA / "netflix"
COUNTRIES = NETFLIX / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
US_FILMS = ChartKey("US", "films")


def charts_of(name: str) -> tuple:
    return parse_top10((NETFLIX / name).read_bytes(), name)


async def test_new_database_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "fresh.db")
    await store.close()
    async with aiosqlite.connect(tmp_path / "fresh.db") as db:
        version = (await (await db.execute("PRAGMA user_version")).fetchone())[0]
        mode = (await (await db.execute("PRAGMA journal_mode")).fetchone())[0]
        tables = {
            r[0]
            for r in await (
                await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ).fetchall()
        }
    assert version == SCHEMA_VERSION == 5
    assert mode == "wal"
    assert {
        "charts",
        "chart_entries",
        "title_matches",
        "scores",
        "servers",
        "server_regions",
        "outbox",
        "source_state",
        "slack_installations",
        "seen_events",
    } <= tables


async def test_an_old_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as db:
        # what a v1 database looked like: charts only
        from bot.store import MIGRATIONS

        await db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        await db.commit()
    store = await Store.open(path)
    try:
        await store.save_charts(charts_of(COUNTRIES.name), "test", NOW)
        assert await store.server("discord", "1") is None  # v3 tables exist and work
    finally:
        await store.close()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with aiosqlite.connect(path) as db:
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer than this trendbot"):
        await Store.open(path)


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


async def test_chart_rows_round_trip_exactly(store: Store) -> None:
    chart = charts_of("global_12col_2025-06-15_to_2025-06-22.tsv")[0]
    await store.save_charts([chart], "a", NOW)
    loaded = await store.chart(chart.key, chart.week)
    assert loaded == chart
    assert isinstance(loaded.rows[0], ChartRow)


async def test_first_sighting_is_true_once_per_key_until_it_expires(store, clock) -> None:
    from datetime import timedelta

    keep = timedelta(hours=1)
    assert await store.first_sighting("slack_event", "Ev1", clock(), keep) is True
    assert await store.first_sighting("slack_event", "Ev1", clock(), keep) is False
    assert await store.first_sighting("other", "Ev1", clock(), keep) is True
    clock.advance(hours=1)
    assert await store.first_sighting("slack_event", "Ev1", clock(), keep) is True
