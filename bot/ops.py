"""Operations endpoints on aiohttp: /healthz (public: status only), /healthz/details and /metrics.

Anyone who can reach the port may ask /healthz, so it says "ok", "degraded" or "failing" and
nothing else: no error text (a misconfigured path once showed a line of /etc/passwd), no URLs.
The details — database, each chart source with its last error and the publication it awaits,
each platform, the outbox — are logged when the status changes and served at /healthz/details to
`Authorization: Bearer <token>` when TRENDBOT_OPS_TOKEN is set (404 otherwise). With a token set,
/metrics asks for it too.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.metrics import Metrics
from bot.models import SourceHealth
from bot.polling import Plan, PollSettings
from bot.publications import poll_plan
from bot.store import Store

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Connected(Protocol):
    """Anything that can say whether its platform connection is up."""

    @property
    def connected(self) -> bool: ...


def ops_routes(
    store: Store,
    metrics: Metrics,
    source_names: Sequence[str],
    adapters: Mapping[str, Connected],
    token: str | None = None,
    polling: PollSettings | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[web.RouteDef]:
    """GET /healthz, /healthz/details and /metrics, to add to the service's web application."""
    last = {"status": "ok"}
    settings = polling or PollSettings()

    async def check() -> tuple[int, dict[str, Any]]:
        database = await store.healthy()
        sources = [await store.source_health(name) for name in source_names] if database else []
        plans = [await poll_plan(store, s.name, settings, clock()) for s in sources]
        platforms = {name: adapter.connected for name, adapter in adapters.items()}
        failing_sources = [s.name for s in sources if s.failures]
        healthy = database and all(platforms.values())
        status = "failing" if not healthy else "degraded" if failing_sources else "ok"
        details = {
            "status": status,
            "database": database,
            "adapters": platforms,
            "sources": [_source(s, p) for s, p in zip(sources, plans, strict=True)],
            "outbox": await store.outbox_counts() if database else {},
        }
        if status != last["status"]:
            down = [name for name, up in platforms.items() if not up]
            log.warning(
                "health is now %s (was %s): database %s; platforms down: %s; failing sources: %s",
                status, last["status"], "up" if database else "DOWN",
                ", ".join(down) or "none", ", ".join(failing_sources) or "none",
            )  # fmt: skip
            last["status"] = status
        # a failing chart source is not a reason to restart the container: report, stay 200
        return (200 if healthy else 503), details

    async def healthz(request: web.Request) -> web.Response:
        code, details = await check()
        return web.json_response({"status": details["status"]}, status=code)

    async def healthz_details(request: web.Request) -> web.Response:
        code, details = await check()
        return web.json_response(details, status=code)

    # prometheus_client's own handler: text or OpenMetrics by Accept, gzip when asked
    metrics_page = make_aiohttp_handler(metrics.registry)
    return [
        web.get("/healthz", healthz),
        web.get("/healthz/details", _guarded(healthz_details, token, hidden=True)),
        web.get("/metrics", _guarded(metrics_page, token, hidden=False)),
    ]


def _guarded(handler: Handler, token: str | None, *, hidden: bool) -> Handler:
    """Serve `handler` only to `Authorization: Bearer <token>`; without a token configured, a
    hidden endpoint does not exist and an open one is served to anyone."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if token is None:
            if hidden:
                raise web.HTTPNotFound()
            return await handler(request)
        offered = request.headers.get("Authorization", "")
        scheme, _, credential = offered.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credential.strip().encode(), token.encode()
        ):
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="trendbot"'})
        return await handler(request)

    return guarded


def _source(state: SourceHealth, plan: Plan) -> dict[str, Any]:
    return {
        "name": state.name,
        "ok": state.failures == 0 and state.last_success_at is not None,
        "last_success_at": _iso(state.last_success_at),
        "failures": state.failures,
        "last_error": state.last_error,
        "next_attempt_at": _iso(state.next_attempt_at),
        "publication": {  # what the feed awaits and how closely it is polled (bot/polling.py)
            "week": plan.week.isoformat(),
            "expected_at": _iso(plan.expected),
            "window": [_iso(plan.window_start), _iso(plan.window_end)],
            "learned_from_weeks": plan.learned,
            "mode": plan.mode,
            "poll_every_seconds": plan.poll_every.total_seconds(),
            "next_poll_at": _iso(max(plan.next_poll, state.next_attempt_at or plan.next_poll)),
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
