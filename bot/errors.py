"""The small error hierarchy of trendbot; every error a user or admin may see derives from it.

TrendbotError
├── ConfigError            bad configuration; the message names the key
├── SourceError            a chart or review source gave unusable data (message says what)
│   └── SourceUnavailable  timeout, 5xx, quota: try later, serve what we have meanwhile
├── UserError              bad input from a chat user; the message is shown to them
├── StoreError             the database cannot be used (message names it and the fix)
└── DeliveryError          a chat platform refused a message
    ├── RateLimited        wait `retry_after` seconds, then try again
    ├── TransientDeliveryError  5xx / timeout: retry with backoff
    └── ChannelUnavailable 403/404/archived/revoked: disable that subscription
"""

from __future__ import annotations


class TrendbotError(Exception):
    """Base of every error trendbot raises on purpose."""


class ConfigError(TrendbotError):
    """Configuration is missing or invalid."""


class SourceError(TrendbotError):
    """A data source answered with something we cannot use."""


class SourceUnavailable(SourceError):
    """A data source could not be reached or refused for now (quota, 5xx, timeout)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UserError(TrendbotError):
    """Input from a chat user that we cannot act on; the message is safe to show them.

    The message is complete (it names any suggestions); `suggestions` are the same as data.
    """

    def __init__(self, message: str, *, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suggestions = suggestions


class StoreError(TrendbotError):
    """The database cannot be opened or used; the message names it (never a password)."""


class DeliveryError(TrendbotError):
    """A chat platform did not accept a message."""


class RateLimited(DeliveryError):
    """The platform asked us to slow down."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """A failure worth retrying later (5xx, timeout, connection reset)."""


class ChannelUnavailable(DeliveryError):
    """The channel is gone or closed to us; retrying will not help."""
