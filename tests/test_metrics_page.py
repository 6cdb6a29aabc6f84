"""GET /metrics: prometheus_client's own aiohttp handler over the process's registry, with the
process, platform and garbage-collector collectors beside trendbot's counters."""

from __future__ import annotations

import gzip

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.metrics import Metrics
from bot.ops import ops_routes
from bot.store import Store


async def client_for(store: Store, metrics: Metrics) -> TestClient:
    app = web.Application()
    app.add_routes(ops_routes(store, metrics, [], {}))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_metrics_has_trendbot_and_process_samples(store: Store) -> None:
    metrics = Metrics()
    metrics.alerts_sent.labels("discord").inc(3)
    client = await client_for(store, metrics)
    try:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    finally:
        await client.close()
    assert 'trendbot_alerts_sent_total{platform="discord"} 3.0' in text
    for name in ("process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
                 "python_info", "python_gc_collections_total"):  # fmt: skip
        assert f"\n{name}" in text, name


async def test_metrics_speaks_openmetrics_and_gzip_when_asked(store: Store) -> None:
    client = await client_for(store, Metrics())
    try:
        response = await client.get(
            "/metrics",
            headers={"Accept": "application/openmetrics-text; version=1.0.0",
                     "Accept-Encoding": "gzip"},
            auto_decompress=False,
        )  # fmt: skip
        assert response.status == 200
        assert response.content_type == "application/openmetrics-text"
        assert response.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(await response.read()).decode()
    finally:
        await client.close()
    assert body.rstrip().endswith("# EOF")
