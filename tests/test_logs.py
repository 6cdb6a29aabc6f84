"""Log lines as text or JSON (bot/logs.py), chosen by [logging] format or TRENDBOT_LOG_FORMAT;
and the other deployment overrides read from the environment."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import load_config
from bot.errors import ConfigError


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level = root.level
    yield root
    for handler in [h for h in root.handlers if isinstance(h, logs._Handler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_extras(root_logger) -> None:
    out = io.StringIO()
    logs.configure(logging.INFO, "json", out)
    logging.getLogger("trendbot.test").info("sent %d alerts to %s", 3, "Ünïcode", extra={"n": 3})
    logging.getLogger("trendbot.test").debug("below the level")
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO" and record["logger"] == "trendbot.test"
    assert record["message"] == "sent 3 alerts to Ünïcode" and record["n"] == 3
    assert record["time"].endswith("+00:00")


def test_exceptions_stay_inside_one_json_line(root_logger) -> None:
    out = io.StringIO()
    logs.configure(logging.INFO, "json", out)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("failed")
    [line] = out.getvalue().splitlines()
    assert "ValueError: boom" in json.loads(line)["exc_info"]


def test_configure_again_replaces_its_own_handler_only(root_logger) -> None:
    other = logging.StreamHandler(io.StringIO())
    root_logger.addHandler(other)
    try:
        first, second = io.StringIO(), io.StringIO()
        logs.configure(logging.WARNING, "text", first)
        logs.configure(logging.WARNING, "json", second)
        logging.getLogger("y").warning("once")
        assert first.getvalue() == "" and json.loads(second.getvalue())["message"] == "once"
        assert other in root_logger.handlers
    finally:
        root_logger.removeHandler(other)


def test_the_format_comes_from_the_file_or_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[logging]\nformat = "json"\n')
    assert load_config(path, {}).log_format == "json"
    assert load_config(None, {}).log_format == "text"
    assert load_config(path, {"TRENDBOT_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(ConfigError, match='logging.format must be "text" or "json"'):
        load_config(None, {"TRENDBOT_LOG_FORMAT": "xml"})
    path.write_text('[logging]\nlevel = "INFO"\n')
    with pytest.raises(ConfigError, match="unknown setting 'logging.level'"):
        load_config(path, {})


def test_the_image_binds_every_interface_whatever_the_file_says(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[web]\nhost = "127.0.0.1"\n')
    assert load_config(path, {}).web.host == "127.0.0.1"
    assert load_config(path, {"TRENDBOT_WEB_HOST": "0.0.0.0"}).web.host == "0.0.0.0"
