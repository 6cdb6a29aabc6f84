"""/healthz tells anyone the status and nothing more; the details (errors, URLs, outbox) go to the
log and, with TRENDBOT_OPS_TOKEN set, to /healthz/details for a bearer of that token. The server
binds 127.0.0.1 unless told otherwise (the container image says 0.0.0.0)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config, load_config
from bot.metrics import Metrics
from bot.ops import ops_routes
from bot.store import Store

ROOT = Path(__file__).resolve().parents[1]
URL = "https://internal.example/top10/all-weeks-countries.tsv?sig=abc"
LEAK = "/etc/passwd: not a weekly Top 10 file (header is 'root:x:0:0:root:/root:/bin/bash')"
TOKEN = "ops-token-7f3e"
NOW = datetime(2022, 7, 5, 12, tzinfo=UTC)


class Up:
    connected = True


async def serve(store: Store, token: str | None) -> TestClient:
    app = web.Application()
    app.add_routes(ops_routes(store, Metrics(), [URL], {"discord": Up()}, token))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def failing(store: Store) -> Store:
    await store.record_source_failure(URL, LEAK, NOW, timedelta(minutes=5))
    return store


async def test_public_health_is_the_status_only(failing: Store) -> None:
    client = await serve(failing, TOKEN)
    try:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "degraded"}
        text = await response.text()
        assert "root:x" not in text and "internal.example" not in text
    finally:
        await client.close()


async def test_details_need_the_bearer_token(failing: Store) -> None:
    client = await serve(failing, TOKEN)
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = await client.get("/healthz/details", headers=headers)
            assert refused.status == 401
            assert "root:x" not in await refused.text()
        assert (await client.get("/metrics")).status == 401
        ok = {"Authorization": f"Bearer {TOKEN}"}
        details = await (await client.get("/healthz/details", headers=ok)).json()
        assert details["status"] == "degraded" and details["adapters"] == {"discord": True}
        [source] = details["sources"]
        assert source["name"] == URL and source["last_error"] == LEAK and source["failures"] == 1
        metrics = await client.get("/metrics", headers=ok)
        assert metrics.status == 200 and "trendbot_" in await metrics.text()
    finally:
        await client.close()


async def test_without_a_token_details_do_not_exist_and_go_to_the_log(
    failing: Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(failing, None)
    try:
        assert (await client.get("/healthz/details")).status == 404
        assert (await client.get("/metrics")).status == 200  # bound to 127.0.0.1 by default
        with caplog.at_level(logging.WARNING, logger="bot.ops"):
            await client.get("/healthz")
            await client.get("/healthz")
        [changed] = [r.getMessage() for r in caplog.records if r.name == "bot.ops"]
        assert "health is now degraded (was ok)" in changed and URL in changed
    finally:
        await client.close()


async def test_details_show_the_publication_each_source_awaits(store: Store) -> None:
    # week ending 26 June seen Tuesday 28 June 19:02; now is Tuesday 5 July 19:30, in the window
    tuesday = datetime(2022, 6, 28, 19, 2, tzinfo=UTC)
    await store.record_publication(URL, datetime(2022, 6, 26).date(), tuesday, tuesday)
    await store.record_source_success(URL, '"v1"', None, NOW + timedelta(hours=7, minutes=28))
    now = NOW + timedelta(hours=7, minutes=30)
    app = web.Application()
    app.add_routes(ops_routes(store, Metrics(), [URL], {}, TOKEN, clock=lambda: now))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        ok = {"Authorization": f"Bearer {TOKEN}"}
        [source] = (await (await client.get("/healthz/details", headers=ok)).json())["sources"]
        assert source["publication"] == {
            "week": "2022-07-03",
            "expected_at": "2022-07-05T19:02:00+00:00",
            "window": ["2022-07-05T18:02:00+00:00", "2022-07-05T20:02:00+00:00"],
            "learned_from_weeks": 1,
            "mode": "window",
            "poll_every_seconds": 300.0,
            "next_poll_at": "2022-07-05T19:33:00+00:00",
        }
        public = await (await client.get("/healthz")).text()
        assert "2022" not in public  # the schedule is a detail too
    finally:
        await client.close()


def test_the_server_binds_localhost_unless_told_otherwise() -> None:
    assert Config().web.host == "127.0.0.1"
    assert load_config(ROOT / "config.example.toml", {}).web.host == "127.0.0.1"
    everywhere = load_config(ROOT / "config.example.toml", {"TRENDBOT_WEB_HOST": "0.0.0.0"})
    assert everywhere.web.host == "0.0.0.0"
    assert "TRENDBOT_WEB_HOST=0.0.0.0" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    token = load_config(None, {"TRENDBOT_OPS_TOKEN": TOKEN}).web
    assert token.ops_token == TOKEN and TOKEN not in repr(token)
