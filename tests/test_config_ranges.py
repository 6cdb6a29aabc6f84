"""Whole-number settings are whole numbers, in range: a fraction that would truncate to 0 is refused
with the key's name, as are infinite waits; `replay --threshold` is checked like the config's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[netflix]\nmax_bytes = 0.5\n", "netflix.max_bytes must be an integer, not float"),
        ("[netflix]\nmax_bytes = 0\n", "netflix.max_bytes must be between 1 and"),
        ("[netflix]\nmax_bytes = 1e30\n", "netflix.max_bytes must be an integer"),
        ("[alerts]\nmax_attempts = 0.5\n", "alerts.max_attempts must be an integer, not float"),
        ("[alerts]\nmax_attempts = 1000000\n", "alerts.max_attempts must be between 1 and 100"),
        ("[alerts]\noutbox_retention_days = 0.001\n", "alerts.outbox_retention_days must be an"),
        ("[alerts]\noutbox_retention_days = 10000000\n", "outbox_retention_days must be between"),
        ("[alerts]\ndefault_threshold = 60.5\n", "alerts.default_threshold must be an integer"),
        ("[discord]\nshard_count = 1.5\n", "discord.shard_count must be an integer"),
        ("[web]\nport = 8080.0\n", "web.port must be an integer"),
        ("[netflix]\ntimeout_seconds = inf\n", "netflix.timeout_seconds must be at most"),
        ("[netflix]\ntimeout_seconds = nan\n", "netflix.timeout_seconds must be a positive"),
        ("[netflix]\nrefresh_every_seconds = inf\n", "netflix.refresh_every_seconds must be at"),
        ("[alerts]\ndeliver_every_seconds = 1e300\n", "alerts.deliver_every_seconds must be at"),
        ("[reviews]\ntimeout_seconds = inf\n", "reviews.timeout_seconds must be at most"),
    ],
)
def test_fractions_and_absurd_values_are_refused_by_name(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), {})


def test_whole_numbers_in_range_are_kept_exactly(tmp_path: Path) -> None:
    text = (
        "[netflix]\nmax_bytes = 1024\ntimeout_seconds = 2.5\n"
        "[alerts]\nmax_attempts = 1\noutbox_retention_days = 3650\n"
    )
    config = load_config(write(tmp_path, text), {})
    assert config.netflix.max_bytes == 1024 and config.netflix.timeout_seconds == 2.5
    assert config.alerts.max_attempts == 1 and config.alerts.outbox_retention_days == 3650


@pytest.mark.parametrize(
    ("value", "message"),
    [("500", "must be between 0 and 100, not 500"), ("-1", "must be between 0 and 100"),
     ("0.5", "must be a whole number from 0 to 100")],
)  # fmt: skip
def test_replay_threshold_must_be_0_to_100(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--charts", "x.tsv", "--threshold", value]) == 2
    assert f"argument --threshold: {message}" in capsys.readouterr().err
