"""Secrets never reach a log: every record is scrubbed as it is made, whoever logs it.

`install(secrets)` masks the configured secrets and anything shaped like a credential (Slack and
Discord tokens, JWTs, Authorization headers, OAuth codes and client secrets, API keys in query
strings, webhook and interaction URLs) in each record's message and traceback, and raises the
libraries that log SQL parameters or HTTP bodies at DEBUG to INFO. It works at record creation
(a LogRecord factory), so handlers added later — pytest's too — only ever see masked text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

MASK = "[redacted]"
_MIN_SECRET = 6  # shorter values would mask ordinary words; real secrets are far longer

# What a credential looks like, wherever it appears.
_SHAPES = re.compile(
    r"\b(?:xox[a-z]|xapp)[.-][\w.-]+"  # Slack bot, user, app-level, refresh and config tokens
    r"|\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"  # Discord bot tokens: id.time.hmac
    r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"  # JWTs (TMDB v4 read tokens)
    r"|hooks\.slack\.com/[^\s'\"<>]+"  # Slack webhooks and response_urls
)
# Names whose value is a credential: `name=value` (URLs, forms), "name": "value" (JSON, repr)
# or 'name': ['value'] (parsed query strings).
_NAMES = (
    r"access_token|refresh_token|bot_token|app_token|user_token|id_token|token|"
    r"client_secret|signing_secret|secret|password|api_key|apikey|code"
)
_QUERY = re.compile(rf"(?i)\b((?:{_NAMES})=)[^&\s'\"<>]+")
_QUOTED = re.compile(rf"(?i)(([\"'])(?:{_NAMES})\2\s*:\s*\[?\s*([\"']))(?:(?!\3).)+")
_AUTHORIZATION = re.compile(
    r"(?i)(\b(?:proxy-)?authorization([\"']?)\s*[:=]\s*\2?\s*(?:(?:bearer|bot|basic|token)\s+)?)"
    r"[^\s'\",;}]+"
)
# Discord interaction and webhook tokens travel in the path: /interactions/<id>/<token>/callback
_PATH_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+")

# Loggers that print SQL parameters (aiosqlite) or request and response bodies (slack_sdk) at
# DEBUG: nothing there helps an operator, and it would all have to be scrubbed.
QUIET = {"aiosqlite": logging.INFO, "slack_sdk": logging.INFO}


class Redactor:
    """Masks a fixed set of secrets and every credential-shaped string in text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, found))) if found else None

    def __call__(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(MASK, text)
        text = _AUTHORIZATION.sub(rf"\1{MASK}", text)
        text = _QUOTED.sub(rf"\1{MASK}", text)
        text = _QUERY.sub(rf"\1{MASK}", text)
        text = _PATH_TOKEN.sub(rf"\1{MASK}", text)
        return _SHAPES.sub(MASK, text)

    def scrub(self, record: logging.LogRecord) -> None:
        """Replace a record's message and traceback with masked text (args are merged in)."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging would report it; keep the raw text
            message = str(record.msg)
        record.msg, record.args = self(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self(record.stack_info)


_FORMATTER = logging.Formatter()


def install(secrets: Iterable[str | None] = ()) -> Callable[[], None]:
    """Scrub every log record from now on and quieten the noisy libraries; returns an undo."""
    redactor = Redactor(secrets)
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name, level in QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.level))

    def undo() -> None:
        logging.setLogRecordFactory(previous)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)

    return undo
