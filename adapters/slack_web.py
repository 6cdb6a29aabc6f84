"""Slack Web API plumbing shared by the adapter's calls: 429s retried after exactly Retry-After,
and a refused call turned into the typed DeliveryError the Notifier acts on."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.errors import ChannelUnavailable, DeliveryError, RateLimited, TransientDeliveryError
from bot.retry_after import DELIVERY_MAX, parse_retry_after

# Errors after which posting to that channel cannot work until someone fixes something.
# (token_expired is not among them: a rotating token is refreshed and the send retried)
CHANNEL_GONE = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
    "account_inactive", "token_revoked", "missing_scope", "restricted_action",
    "team_access_not_granted", "ekm_access_denied",
})  # fmt: skip
MAX_RETRY_WAIT = 10.0  # longer waits go back to the Notifier as RateLimited, so others still flow


class RetryAfter(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 once, after exactly Retry-After seconds (slack_sdk's own handler adds up to 1 s
    of jitter); a longer wait than `max_wait` is not slept through here but raised to the caller."""

    def __init__(self, max_wait: float = MAX_RETRY_WAIT) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(response.headers) <= self.max_wait
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        await asyncio.sleep(retry_after(response.headers) if response is not None else 1.0)
        state.increment_current_attempt()


def retry_handlers() -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), RetryAfter()]


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a Retry-After header (1 when absent or unreadable), at most DELIVERY_MAX."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) and value else value
            text = None if first is None else str(first)
            now = datetime.now(UTC)
            return parse_retry_after(text, now=now, maximum=DELIVERY_MAX, default=1.0)
    return 1.0


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """The typed delivery failure the Notifier acts on, for a refused Web API call."""
    code = slack_error(exc)
    status = exc.response.status_code
    if status == 429 or code == "ratelimited":
        return RateLimited("Slack: ratelimited", retry_after=retry_after(exc.response.headers))
    if code in CHANNEL_GONE:
        return ChannelUnavailable(f"Slack: {code}")
    return TransientDeliveryError(f"Slack: {code or f'HTTP {status}'}")


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error") or "") if isinstance(data, dict) else ""
