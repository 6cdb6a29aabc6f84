"""Where log lines go and how they look: text for people, or one JSON object per line for
log collectors (`[logging] format = "json"` or TRENDBOT_LOG_FORMAT=json). Nothing else."""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        # time, level, logger, message, then any `extra=` fields and exc_info as a string
        return JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601 in UTC
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(level: int | str, fmt: LogFormat = "text", stream: TextIO | None = None) -> None:
    """Send every log record at `level` or above to `stream` (stderr) in the chosen format.

    Replaces the handler an earlier call made (others, such as pytest's, stay), so calling it
    again once the config is read is safe. A filter that must see every record (redaction, say)
    belongs on the handler made here.
    """
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure() owns."""
