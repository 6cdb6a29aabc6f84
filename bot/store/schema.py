"""The schema as numbered migrations, written once for both engines ({identity}, {real} and
{without_rowid} come from the dialect). `Store.open` applies the missing ones in order.

v1–v4 are the statements SQLite files were created with (their `PRAGMA user_version` says which
ran), so old files upgrade in place. A chart's rows hang off its id and a replaced list gets a new
id, so per-entry tables added later (an `analyses` table keyed by chart_id and rank, with ON DELETE
CASCADE) are invalidated with the list they describe.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: charts
    (
        """CREATE TABLE charts (
            id {identity},
            service TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT '', week TEXT NOT NULL,
            source TEXT NOT NULL, saved_at TEXT NOT NULL,
            edition TEXT NOT NULL, quality INTEGER NOT NULL,
            alerts_planned INTEGER NOT NULL DEFAULT 0,
            UNIQUE (service, region, category, language, week)
        )""",
        "CREATE INDEX charts_week ON charts (week, category)",
        """CREATE TABLE chart_entries (
            chart_id BIGINT NOT NULL REFERENCES charts (id) ON DELETE CASCADE,
            rank INTEGER NOT NULL, title TEXT NOT NULL, season TEXT,
            weeks_in_top10 INTEGER, hours_viewed BIGINT, views BIGINT, runtime {real},
            PRIMARY KEY (chart_id, rank)
        ) {without_rowid}""",
    ),
    # 2: matching and scores
    (
        """CREATE TABLE title_matches (
            chart_title TEXT NOT NULL, kind TEXT NOT NULL,
            title_id TEXT, confidence {real} NOT NULL, method TEXT NOT NULL,
            matched_at TEXT NOT NULL,
            PRIMARY KEY (chart_title, kind)
        )""",
        """CREATE TABLE match_overrides (
            chart_title TEXT NOT NULL, kind TEXT NOT NULL, title_id TEXT,
            set_by TEXT NOT NULL, set_at TEXT NOT NULL,
            PRIMARY KEY (chart_title, kind)
        )""",
        """CREATE TABLE scores (
            title_id TEXT NOT NULL, metric TEXT NOT NULL, provider TEXT NOT NULL,
            value {real} NOT NULL, raw TEXT NOT NULL, votes BIGINT, fetched TEXT NOT NULL,
            PRIMARY KEY (title_id, metric, provider)
        )""",
        """CREATE TABLE score_lookups (
            title_id TEXT NOT NULL, provider TEXT NOT NULL, looked_up TEXT NOT NULL,
            PRIMARY KEY (title_id, provider)
        )""",
    ),
    # 3: servers, subscriptions, outbox, source health
    (
        """CREATE TABLE servers (
            platform TEXT NOT NULL, server_id TEXT NOT NULL, channel_id TEXT,
            threshold INTEGER NOT NULL, categories TEXT NOT NULL,
            disabled_reason TEXT, disabled_at TEXT, digest INTEGER NOT NULL DEFAULT 0,
            admin_channel_id TEXT, updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, server_id)
        )""",
        """CREATE TABLE server_regions (
            platform TEXT NOT NULL, server_id TEXT NOT NULL, region TEXT NOT NULL,
            baseline_week TEXT, added_at TEXT NOT NULL,
            PRIMARY KEY (platform, server_id, region),
            FOREIGN KEY (platform, server_id) REFERENCES servers ON DELETE CASCADE
        )""",
        "CREATE INDEX server_regions_region ON server_regions (region)",
        """CREATE TABLE outbox (
            id {identity},
            platform TEXT NOT NULL, server_id TEXT NOT NULL, channel_id TEXT NOT NULL,
            service TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
            language TEXT NOT NULL, week TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,
            card TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
            claimed_at TEXT, last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT,
            UNIQUE (platform, channel_id, service, region, category, language, week, title, kind)
        )""",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        """CREATE TABLE source_state (
            name TEXT PRIMARY KEY, etag TEXT, last_modified TEXT,
            last_success_at TEXT, last_attempt_at TEXT, failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT, next_attempt_at TEXT
        )""",
    ),
    # 4: Slack installations (OAuth, many workspaces)
    (
        """CREATE TABLE slack_installations (
            enterprise_id TEXT NOT NULL DEFAULT '', team_id TEXT NOT NULL DEFAULT '',
            user_id TEXT NOT NULL DEFAULT '', data TEXT NOT NULL, installed_at TEXT NOT NULL,
            PRIMARY KEY (enterprise_id, team_id, user_id)
        )""",
    ),
    # 5: several processes: per-week history reads, outbox leases, shared OAuth state and
    # event dedupe, regions in the order they were added without relying on rowid
    (
        # covering: a week's titles find their past rows without visiting the table
        "CREATE INDEX chart_entries_title ON chart_entries (title, season, chart_id)",
        "ALTER TABLE outbox ADD COLUMN lease_token TEXT",
        "ALTER TABLE outbox ADD COLUMN lease_until TEXT",
        "CREATE INDEX outbox_channel_queue ON outbox (state, platform, channel_id, id)",
        "ALTER TABLE server_regions ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
        "{backfill_region_positions}",
        """CREATE TABLE oauth_states (
            state TEXT PRIMARY KEY, expires_at TEXT NOT NULL
        )""",
        """CREATE TABLE first_sightings (
            namespace TEXT NOT NULL, key TEXT NOT NULL, seen_at TEXT NOT NULL,
            PRIMARY KEY (namespace, key)
        )""",
        "CREATE INDEX first_sightings_age ON first_sightings (namespace, seen_at)",
        "CREATE INDEX servers_channel ON servers (platform, channel_id)",
    ),
    # 6: when each feed first showed each week (publication-aware polling learns from it)
    (
        """CREATE TABLE source_publications (
            name TEXT NOT NULL, week TEXT NOT NULL,
            published_at TEXT NOT NULL, seen_at TEXT NOT NULL,
            PRIMARY KEY (name, week)
        )""",
    ),
    # 7: title knowledge: every source's records about titles (one table, provenance per row),
    # titles merged per name (a cache rebuilt when a name's records change), loaded sets
    (
        """CREATE TABLE title_records (
            id {identity},
            origin TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL, as_of TEXT NOT NULL,
            name TEXT NOT NULL, kind TEXT, year INTEGER, year_suffix INTEGER, season INTEGER,
            season_label TEXT, netflix_release TEXT, licensed INTEGER, runtime INTEGER,
            original TEXT, ref TEXT, imdb_id TEXT, imdb_score {real}, imdb_votes BIGINT,
            tmdb_score {real}, tmdb_votes BIGINT, popularity {real}, views BIGINT, hours BIGINT,
            genres TEXT NOT NULL DEFAULT '', countries TEXT NOT NULL DEFAULT '', language TEXT
        )""",
        "CREATE INDEX title_records_key ON title_records (key)",
        "CREATE INDEX title_records_origin ON title_records (origin)",
        "CREATE INDEX title_records_films ON title_records (kind, year)",
        "CREATE INDEX title_records_ref ON title_records (ref)",
        """CREATE TABLE merged_titles (
            key TEXT PRIMARY KEY, titles TEXT NOT NULL, merged_at TEXT NOT NULL
        )""",
        """CREATE TABLE title_ids (
            id TEXT PRIMARY KEY, key TEXT NOT NULL
        )""",
        """CREATE TABLE title_sets (
            origin TEXT PRIMARY KEY, version TEXT NOT NULL, loaded_at TEXT NOT NULL,
            records BIGINT NOT NULL
        )""",
        # each stored list's entries as judged (JSON), invalidated with the list they describe
        """CREATE TABLE analyses (
            chart_id BIGINT NOT NULL REFERENCES charts (id) ON DELETE CASCADE,
            rank INTEGER NOT NULL, judged TEXT NOT NULL, version TEXT NOT NULL,
            analysed_at TEXT NOT NULL,
            PRIMARY KEY (chart_id, rank)
        )""",
        "CREATE INDEX analyses_version ON analyses (version)",
    ),
    # 8: the language a server's admins pinned, and the one its platform reports (Discord's guild
    # locale, the Slack installer's); '' when unknown
    (
        "ALTER TABLE servers ADD COLUMN language TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE servers ADD COLUMN locale TEXT NOT NULL DEFAULT ''",
    ),
    # 9: paces shared by processes (Discord's IDENTIFY buckets): when each next slot is free, in
    # Unix seconds (a double on both engines: date arithmetic on text differs between them)
    (
        """CREATE TABLE paces (
            name TEXT PRIMARY KEY, next_free DOUBLE PRECISION NOT NULL
        )""",
    ),
    # 10: the outbox's channel queue covers what a claim filters on, so finding the channels
    # with due alerts reads the index alone (a claim had sorted every pending row's table row)
    (
        "DROP INDEX outbox_channel_queue",
        "CREATE INDEX outbox_channel_queue ON outbox "
        "(state, platform, channel_id, id, next_attempt_at, lease_until)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
