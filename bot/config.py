"""Configuration: one TOML file plus secrets from the environment, checked into frozen dataclasses.

`load_config(path, env)` is the only entry point; it raises ConfigError naming the offending key.
Secrets never come from the file and are excluded from repr() so they cannot reach a log line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from bot.config_table import Table, cron
from bot.errors import ConfigError
from bot.logs import LOG_FORMATS, LogFormat
from bot.models import CATEGORIES, Category
from bot.polling import MAX_MARGIN, PollSettings, parse_window

NETFLIX_COUNTRIES_URL = "https://www.netflix.com/tudum/top10/data/all-weeks-countries.tsv"
NETFLIX_GLOBAL_URL = "https://www.netflix.com/tudum/top10/data/all-weeks-global.tsv"

SECRET_ENV = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "OMDB_API_KEY",
    "TMDB_API_KEY",
    "TMDB_READ_TOKEN",
    "TRENDBOT_OPS_TOKEN",
)
# the widest values that still make sense (and that timedelta and the OS accept)
MAX_BYTES = 1 << 32
MAX_ATTEMPTS = 100
MAX_RETENTION_DAYS = 3650
MAX_CLOCK_OFFSET = 100 * 366 * 86400.0


@dataclass(frozen=True, slots=True)
class NetflixConfig:
    urls: tuple[str, ...] = (NETFLIX_COUNTRIES_URL, NETFLIX_GLOBAL_URL)
    refresh_every_seconds: float = 0.0  # > 0 polls on a fixed interval instead (tests)
    timeout_seconds: float = 60.0
    max_bytes: int = 64 * 1024 * 1024
    # publication-aware polling (bot/polling.py)
    fast_poll_seconds: float = 300.0
    slow_poll_seconds: float = 3600.0
    publication_window: str = "tue 14:00-22:00"  # UTC, until a publication has been seen
    window_margin_seconds: float = 3600.0
    late_seconds: float = 14400.0
    learn_weeks: int = 8

    @property
    def polling(self) -> PollSettings:
        return PollSettings(
            fast=timedelta(seconds=self.fast_poll_seconds),
            slow=timedelta(seconds=self.slow_poll_seconds),
            default=parse_window(self.publication_window),
            margin=timedelta(seconds=self.window_margin_seconds),
            late=timedelta(seconds=self.late_seconds),
            learn_weeks=self.learn_weeks,
        )


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    default_threshold: int = 60
    default_categories: tuple[Category, ...] = CATEGORIES
    outbox_retention_days: int = 90
    max_attempts: int = 8
    deliver_every_seconds: float = 30.0
    digest_cron: str = "0 12 * * wed"
    lease_seconds: float = 60.0  # a worker's claim on alerts; a dead worker's pass on after it


@dataclass(frozen=True, slots=True)
class ReviewsConfig:
    omdb_url: str = "https://www.omdbapi.com/"
    tmdb_url: str = "https://api.themoviedb.org/3/"
    timeout_seconds: float = 10.0
    omdb_api_key: str | None = field(default=None, repr=False)
    tmdb_api_key: str | None = field(default=None, repr=False)
    tmdb_read_token: str | None = field(default=None, repr=False)


IMDB_BASICS_URL = "https://datasets.imdbws.com/title.basics.tsv.gz"
IMDB_RATINGS_URL = "https://datasets.imdbws.com/title.ratings.tsv.gz"


@dataclass(frozen=True, slots=True)
class TitlesConfig:
    """Fresher title sources than the bundled ones, refreshed by a weekly job."""

    report_urls: tuple[str, ...] = ()  # Netflix engagement reports (XLSX), URLs or paths
    refresh_cron: str = "43 4 * * 3"  # weekly; reports come out twice a year
    # IMDb's datasets are for personal, non-commercial use only: the operator opts in
    imdb_noncommercial: bool = False
    imdb_basics_url: str = IMDB_BASICS_URL
    imdb_ratings_url: str = IMDB_RATINGS_URL
    lookup_online: bool = True  # ask TMDB/OMDb (when keyed) about titles no source knows
    timeout_seconds: float = 600.0
    max_bytes: int = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    enabled: bool = True  # starts only when DISCORD_TOKEN is set
    shard_count: int | None = None
    dev_guild_ids: tuple[int, ...] = ()
    api_base: str | None = None  # tests point this at a local fake
    gateway_url: str | None = None
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SlackConfig:
    enabled: bool = True  # starts only when its tokens are set
    mode: Literal["socket", "http"] = "socket"
    admin_user_ids: tuple[str, ...] = ()
    api_base: str | None = None
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class WebConfig:
    host: str = "127.0.0.1"  # the container image sets TRENDBOT_WEB_HOST=0.0.0.0
    port: int = 8080
    ops_token: str | None = field(default=None, repr=False)  # bearer token for /healthz/details


@dataclass(frozen=True, slots=True)
class Config:
    database: str = "trendbot.db"  # a SQLite path, sqlite:///path, or postgresql://user@host/db
    log_level: str = "INFO"
    netflix: NetflixConfig = NetflixConfig()
    alerts: AlertsConfig = AlertsConfig()
    reviews: ReviewsConfig = ReviewsConfig()
    discord: DiscordConfig = DiscordConfig()
    slack: SlackConfig = SlackConfig()
    web: WebConfig = WebConfig()
    titles: TitlesConfig = TitlesConfig()
    log_format: LogFormat = "text"  # [logging] format or TRENDBOT_LOG_FORMAT: "text" or "json"
    # TRENDBOT_CLOCK_OFFSET only: the service's clock runs this far from the wall clock, so an
    # end-to-end test (or a rehearsal) can live through a publication day of another year
    clock_offset_seconds: float = 0.0


_DEFAULT = Config()
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def load_config(path: Path | None, env: Mapping[str, str]) -> Config:
    """Read `path` (optional) and the environment into a validated Config."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return _build(raw, env)


def _build(raw: Mapping[str, Any], env: Mapping[str, str]) -> Config:
    t = Table(raw, "")
    t.reject_unknown({"database", "log_level", "netflix", "alerts", "reviews"}
                     | {"discord", "slack", "web", "logging", "titles"})  # fmt: skip
    database = env.get("TRENDBOT_DB") or t.get("database", str, "trendbot.db")
    log_level = (env.get("TRENDBOT_LOG_LEVEL") or t.get("log_level", str, "INFO")).upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(_LOG_LEVELS)}, not {log_level!r}")

    netflix = _netflix(t.table("netflix"))

    a = t.table("alerts")
    a.reject_unknown({"default_threshold", "default_categories", "outbox_retention_days",
                      "max_attempts", "deliver_every_seconds", "digest_cron",
                      "lease_seconds"})  # fmt: skip
    threshold = a.integer("default_threshold", 60, 0, 100)
    categories = a.get_list("default_categories", str, [str(c) for c in CATEGORIES])
    bad = [c for c in categories if c not in CATEGORIES]
    if bad or not categories:
        raise ConfigError(f"alerts.default_categories must be a non-empty list of {CATEGORIES}")
    alerts = AlertsConfig(
        default_threshold=threshold,
        default_categories=tuple(c for c in CATEGORIES if c in categories),
        outbox_retention_days=a.integer("outbox_retention_days", 90, 1, MAX_RETENTION_DAYS),
        max_attempts=a.integer("max_attempts", 8, 1, MAX_ATTEMPTS),
        deliver_every_seconds=a.positive("deliver_every_seconds", 30.0),
        digest_cron=cron(
            a.get("digest_cron", str, _DEFAULT.alerts.digest_cron), "alerts.digest_cron"
        ),
        lease_seconds=a.positive("lease_seconds", 60.0),
    )

    r = t.table("reviews")
    r.reject_unknown({"omdb_url", "tmdb_url", "timeout_seconds"})
    reviews = ReviewsConfig(
        omdb_url=r.get("omdb_url", str, _DEFAULT.reviews.omdb_url),
        tmdb_url=r.get("tmdb_url", str, _DEFAULT.reviews.tmdb_url),
        timeout_seconds=r.positive("timeout_seconds", 10.0),
        omdb_api_key=_secret(env, "OMDB_API_KEY"),
        tmdb_api_key=_secret(env, "TMDB_API_KEY"),
        tmdb_read_token=_secret(env, "TMDB_READ_TOKEN"),
    )

    ti = t.table("titles")
    ti.reject_unknown({"report_urls", "refresh_cron", "imdb_noncommercial", "imdb_basics_url",
                       "imdb_ratings_url", "lookup_online", "timeout_seconds",
                       "max_bytes"})  # fmt: skip
    report_urls = tuple(ti.get_list("report_urls", str, list[str]()))
    for i, url in enumerate(report_urls):
        if not url.strip():
            raise ConfigError(f"titles.report_urls[{i}] is empty")
    titles = TitlesConfig(
        report_urls=report_urls,
        refresh_cron=cron(
            ti.get("refresh_cron", str, _DEFAULT.titles.refresh_cron), "titles.refresh_cron"
        ),  # fmt: skip
        imdb_noncommercial=ti.get("imdb_noncommercial", bool, False),
        imdb_basics_url=ti.get("imdb_basics_url", str, IMDB_BASICS_URL),
        imdb_ratings_url=ti.get("imdb_ratings_url", str, IMDB_RATINGS_URL),
        lookup_online=ti.get("lookup_online", bool, True),
        timeout_seconds=ti.positive("timeout_seconds", _DEFAULT.titles.timeout_seconds),
        max_bytes=ti.integer("max_bytes", _DEFAULT.titles.max_bytes, 1, MAX_BYTES),
    )

    d = t.table("discord")
    d.reject_unknown({"enabled", "shard_count", "dev_guild_ids", "api_base", "gateway_url"})
    shard_count = d.integer("shard_count", 0, 0, 1 << 16) or None
    discord = DiscordConfig(
        enabled=d.get("enabled", bool, True),
        shard_count=shard_count,
        dev_guild_ids=tuple(d.get_list("dev_guild_ids", int, list[int]())),
        api_base=d.get("api_base", str, "") or None,
        gateway_url=d.get("gateway_url", str, "") or None,
        token=_secret(env, "DISCORD_TOKEN"),
    )

    s = t.table("slack")
    s.reject_unknown({"enabled", "mode", "admin_user_ids", "api_base"})
    mode = s.get("mode", str, "socket")
    if mode not in ("socket", "http"):
        raise ConfigError(f'slack.mode must be "socket" or "http", not {mode!r}')
    slack = SlackConfig(
        enabled=s.get("enabled", bool, True),
        mode="socket" if mode == "socket" else "http",
        admin_user_ids=tuple(s.get_list("admin_user_ids", str, list[str]())),
        api_base=s.get("api_base", str, "") or None,
        bot_token=_secret(env, "SLACK_BOT_TOKEN"),
        app_token=_secret(env, "SLACK_APP_TOKEN"),
        signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
        client_id=_secret(env, "SLACK_CLIENT_ID"),
        client_secret=_secret(env, "SLACK_CLIENT_SECRET"),
    )

    w = t.table("web")
    w.reject_unknown({"host", "port"})
    port = w.integer("port", 8080, 0, 65535)
    host = env.get("TRENDBOT_WEB_HOST") or w.get("host", str, _DEFAULT.web.host)
    web = WebConfig(host=host.strip(), port=port, ops_token=_secret(env, "TRENDBOT_OPS_TOKEN"))
    return Config(
        database, log_level, netflix, alerts, reviews, discord, slack, web, titles,
        _log_format(t, env), _clock_offset(env),
    )  # fmt: skip


def _clock_offset(env: Mapping[str, str]) -> float:
    raw = env.get("TRENDBOT_CLOCK_OFFSET", "").strip()
    if not raw:
        return 0.0
    try:
        offset = float(raw)
    except ValueError:
        offset = float("nan")
    if not abs(offset) <= MAX_CLOCK_OFFSET:  # also refuses nan and inf
        raise ConfigError(
            f"TRENDBOT_CLOCK_OFFSET must be a number of seconds within ±{MAX_CLOCK_OFFSET:g} "
            f"(100 years), not {raw!r}"
        )
    return offset


def _netflix(n: Table) -> NetflixConfig:
    if "refresh_cron" in n:
        raise ConfigError(
            "netflix.refresh_cron is no longer used: trendbot polls around Netflix's weekly "
            "publication instead (fast_poll_seconds, slow_poll_seconds; see "
            "config.example.toml); remove the line"
        )
    n.reject_unknown({"urls", "refresh_every_seconds", "timeout_seconds", "max_bytes",
                      "fast_poll_seconds", "slow_poll_seconds", "publication_window",
                      "window_margin_seconds", "late_seconds", "learn_weeks"})  # fmt: skip
    urls = tuple(n.get_list("urls", str, list(_DEFAULT.netflix.urls)))
    for i, url in enumerate(urls):
        if not url.strip():
            raise ConfigError(f"netflix.urls[{i}] is empty")
    d = _DEFAULT.netflix
    fast = n.positive("fast_poll_seconds", d.fast_poll_seconds)
    if fast < 1:
        raise ConfigError(f"netflix.fast_poll_seconds must be at least 1, not {fast:g}")
    slow = n.positive("slow_poll_seconds", d.slow_poll_seconds)
    if slow < fast:
        raise ConfigError(
            f"netflix.slow_poll_seconds ({slow:g}) must not be shorter than "
            f"netflix.fast_poll_seconds ({fast:g})"
        )
    window = n.get("publication_window", str, d.publication_window)
    try:
        parse_window(window)
    except ValueError as exc:
        raise ConfigError(f"netflix.publication_window: {exc}") from None
    margin = n.non_negative("window_margin_seconds", d.window_margin_seconds)
    if margin > MAX_MARGIN.total_seconds():
        raise ConfigError(
            f"netflix.window_margin_seconds must be at most {MAX_MARGIN.total_seconds():g}, "
            f"not {margin:g}"
        )
    return NetflixConfig(
        urls=urls,
        refresh_every_seconds=n.non_negative("refresh_every_seconds", 0.0),
        timeout_seconds=n.positive("timeout_seconds", 60.0),
        max_bytes=n.integer("max_bytes", d.max_bytes, 1, MAX_BYTES),
        fast_poll_seconds=fast,
        slow_poll_seconds=slow,
        publication_window=window,
        window_margin_seconds=margin,
        late_seconds=n.non_negative("late_seconds", d.late_seconds),
        learn_weeks=n.integer("learn_weeks", d.learn_weeks, 1, 52),
    )


def _log_format(t: Table, env: Mapping[str, str]) -> LogFormat:
    logs = t.table("logging")
    logs.reject_unknown({"format"})
    chosen = (env.get("TRENDBOT_LOG_FORMAT") or logs.get("format", str, "text")).strip().lower()
    for known in LOG_FORMATS:
        if chosen == known:
            return known
    raise ConfigError(f'logging.format must be "text" or "json", not {chosen!r}')


def _secret(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None
