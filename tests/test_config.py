"""Configuration: defaults, every example setting, secrets only from the environment, and errors
that name the key."""

from __future__ import annotations

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
    assert config.netflix.refresh_cron == "7 * * * *"


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
        ('[netflix]\nrefresh_cron = "every hour"\n', "netflix.refresh_cron must have 5 fields"),
        ('[netflix]\nrefresh_cron = "99 * * * *"\n', "netflix.refresh_cron"),
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


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", {})
