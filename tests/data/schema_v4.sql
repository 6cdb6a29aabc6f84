-- The schema trendbot's SQLite files had at v4 (bot/store.py before the store became a package),
-- kept to test that such files upgrade in place.
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
CREATE TABLE slack_installations (
        enterprise_id TEXT NOT NULL DEFAULT '', team_id TEXT NOT NULL DEFAULT '',
        user_id TEXT NOT NULL DEFAULT '', data TEXT NOT NULL, installed_at TEXT NOT NULL,
        PRIMARY KEY (enterprise_id, team_id, user_id)
    );
PRAGMA user_version = 4;
