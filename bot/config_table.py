"""Reading a TOML table: typed getters whose errors name the full key, and cron checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from bot.errors import ConfigError

MAX_SECONDS = 7 * 86400.0  # no wait or timeout in trendbot is longer than a week

_T = TypeVar("_T")


class Table:
    """A TOML table with typed getters whose errors name the full key."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        self._data = data
        self._prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def table(self, name: str) -> Table:
        value = self._data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self._key(name)} must be a table ([{self._key(name)}])")
        return Table(value, f"{self._key(name)}.")

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def reject_unknown(self, known: set[str]) -> None:
        unknown = sorted(set(self._data) - known)
        if unknown:
            where = self._prefix.rstrip(".") or "the top level"
            raise ConfigError(
                f"unknown setting {self._key(unknown[0])!r} in {where}; "
                f"known: {', '.join(sorted(known))}"
            )

    def get(self, name: str, kind: type[_T], default: _T) -> _T:
        value = self._data.get(name, default)
        # bool is an int in Python; a threshold of `true` is a mistake, not 1
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{self._key(name)} must be {_kind_name(kind)}, not {type(value).__name__}"
            )
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number from `low` to `high`: 0.5 is refused, not truncated to 0."""
        value = self.get(name, int, default)
        if not low <= value <= high:
            raise ConfigError(f"{self._key(name)} must be between {low} and {high}, not {value}")
        return value

    def positive(self, name: str, default: float) -> float:
        value = self._data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"{self._key(name)} must be a positive number, not {value!r}")
        return self._finite(name, value)

    def non_negative(self, name: str, default: float) -> float:
        value = self._data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ConfigError(f"{self._key(name)} must be 0 or more, not {value!r}")
        return self._finite(name, value)

    def _finite(self, name: str, value: float) -> float:
        # TOML allows inf; a wait of inf seconds overflows every timer it reaches
        if value > MAX_SECONDS:
            raise ConfigError(
                f"{self._key(name)} must be at most {MAX_SECONDS:g} seconds, not {value!r}"
            )
        return float(value)

    def get_list(self, name: str, kind: type[_T], default: list[_T]) -> list[_T]:
        value = self._data.get(name, default)
        if not isinstance(value, list) or not all(
            isinstance(v, kind) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(f"{self._key(name)} must be a list of {kind.__name__} values")
        return value


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false"}.get(kind, kind.__name__)


def cron(expression: str, key: str) -> str:
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(
            f"{key} must have 5 fields (minute hour day month weekday), not {expression!r}"
        )
    from apscheduler.triggers.cron import (
        CronTrigger,
    )  # heavy import, only when validating

    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"{key} {expression!r} is invalid: {exc}") from None
    return expression
