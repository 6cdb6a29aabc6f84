"""Operations endpoints on aiohttp: /healthz (database, chart sources, adapters) and /metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.metrics import Metrics
from bot.models import SourceHealth
from bot.store import Store


class Connected(Protocol):
    """Anything that can say whether its platform connection is up."""

    @property
    def connected(self) -> bool: ...


def ops_routes(
    store: Store,
    metrics: Metrics,
    source_names: Sequence[str],
    adapters: Mapping[str, Connected],
) -> list[web.RouteDef]:
    """GET /healthz and GET /metrics, to add to the service's web application."""

    async def healthz(request: web.Request) -> web.Response:
        database = await store.healthy()
        sources = [await store.source_health(name) for name in source_names] if database else []
        platforms = {name: adapter.connected for name, adapter in adapters.items()}
        failing_sources = [s.name for s in sources if s.failures]
        healthy = database and all(platforms.values())
        status = "failing" if not healthy else "degraded" if failing_sources else "ok"
        body = {
            "status": status,
            "database": database,
            "adapters": platforms,
            "sources": [_source(s) for s in sources],
            "outbox": await store.outbox_counts() if database else {},
        }
        # a failing chart source is not a reason to restart the container: report, stay 200
        return web.json_response(body, status=200 if healthy else 503)

    # prometheus_client's own handler: text or OpenMetrics by Accept, gzip when asked
    metrics_page = make_aiohttp_handler(metrics.registry)
    return [web.get("/healthz", healthz), web.get("/metrics", metrics_page)]


def _source(state: SourceHealth) -> dict[str, Any]:
    return {
        "name": state.name,
        "ok": state.failures == 0 and state.last_success_at is not None,
        "last_success_at": _iso(state.last_success_at),
        "failures": state.failures,
        "last_error": state.last_error,
        "next_attempt_at": _iso(state.next_attempt_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
