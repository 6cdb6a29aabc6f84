"""Configuration: defaults, every example setting, secrets only from the environment, and errors
that name the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults() -> None:
    config = load_config(None, {})
    assert config == Config()
    assert config.alerts.default_threshold == 60
    assert config.netflix.fast_poll_seconds == 300 and config.netflix.slow_poll_seconds == 3600
    assert config.netflix.publication_window == "tue 14:00-22:00"


def test_the_example_file_loads_and_matches_the_defaults() -> None:
    assert load_config(ROOT / "config.example.toml", {}) == Config()


def test_secrets_come_from_the_environment_and_stay_out_of_repr() -> None:
    env = {
        "DISCORD_TOKEN": "discord-secret",
        "SLACK_BOT_TOKEN": "xoxb-secret",
        "OMDB_API_KEY": "omdb-secret",
        "TRENDBOT_DB": "/data/trendbot.db",
    }
    config = load_config(None, env)
    assert config.discord.token == "discord-secret"
    assert config.slack.bot_token == "xoxb-secret"
    assert config.reviews.omdb_api_key == "omdb-secret"
    assert str(config.database) == "/data/trendbot.db"
    text = repr(config)
    assert "secret" not in text


def test_a_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'discord.token'"):
        load_config(write(tmp_path, '[discord]\ntoken = "abc"\n'), {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[alerts]\ndefault_threshold = 150\n", "alerts.default_threshold must be between"),
        ("[alerts]\ndefault_threshold = true\n", "alerts.default_threshold must be an integer"),
        ('[alerts]\ndefault_categories = ["games"]\n', "alerts.default_categories"),
        ('[slack]\nmode = "carrier-pigeon"\n', "slack.mode"),
        ('[netflix]\nrefresh_cron = "7 * * * *"\n', "netflix.refresh_cron is no longer used"),
        ("[netflix]\nfast_poll_seconds = 0.5\n", "netflix.fast_poll_seconds must be at least 1"),
        ("[netflix]\nslow_poll_seconds = 60\n", "slow_poll_seconds \\(60\\) must not be shorter"),
        ('[netflix]\npublication_window = "tuesday"\n', "netflix.publication_window: expected"),
        ('[netflix]\npublication_window = "tue 22:00-14:00"\n', "must end after it starts"),
        ('[netflix]\npublication_window = "xyz 14:00-15:00"\n', "publication_window: expected"),
        ('[netflix]\npublication_window = "tue 25:00-26:00"\n', "impossible time of day"),
        ("[netflix]\nwindow_margin_seconds = 86400\n", "window_margin_seconds must be at most"),
        ("[netflix]\nlearn_weeks = 0\n", "netflix.learn_weeks must be between 1 and 52"),
        ("[netflix]\ntimeout_seconds = -1\n", "netflix.timeout_seconds must be a positive"),
        ("[web]\nport = 70000\n", "web.port"),
        ('log_level = "LOUD"\n', "log_level"),
        ("[discord]\nshard_count = -2\n", "discord.shard_count"),
        ('netflix = "x"\n', "netflix must be a table"),
        ("[alerts\n", "not valid TOML"),
        ("colour = 1\n", "unknown setting 'colour'"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), {})


def test_publication_settings_become_the_poll_settings(tmp_path: Path) -> None:
    text = (
        "[netflix]\nfast_poll_seconds = 120\nslow_poll_seconds = 7200\n"
        'publication_window = "Wednesday 09:30-12:00"\nwindow_margin_seconds = 1800\n'
        "late_seconds = 0\nlearn_weeks = 4\n"
    )
    polling = load_config(write(tmp_path, text), {}).netflix.polling
    assert (polling.fast, polling.slow) == (timedelta(minutes=2), timedelta(hours=2))
    # Wednesday is 3 days after the Sunday that ends the week
    assert polling.default.start == timedelta(days=3, hours=9, minutes=30)
    assert polling.default.end == timedelta(days=3, hours=12)
    assert (polling.margin, polling.late, polling.learn_weeks) == (
        timedelta(minutes=30), timedelta(0), 4
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "offset"), [("", 0.0), ("-126230400", -126230400.0), (" 3.5 ", 3.5)]
)
def test_the_clock_offset_comes_only_from_the_environment(value: str, offset: float) -> None:
    assert load_config(None, {"TRENDBOT_CLOCK_OFFSET": value}).clock_offset_seconds == offset


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "1e20"])
def test_a_bad_clock_offset_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="TRENDBOT_CLOCK_OFFSET must be a number of seconds"):
        load_config(None, {"TRENDBOT_CLOCK_OFFSET": value})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", {})
