"""The Docker health check (`python -m bot.healthcheck`) and the image recipe around it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import bot
from bot.healthcheck import healthz_url, main

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


@pytest.fixture
async def service() -> AsyncIterator[tuple[TestServer, list[int]]]:
    """A /healthz answering with the status at the head of the returned list."""
    answers = [200]

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=answers[0])

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, answers
    await server.close()


def config_for(tmp_path: Path, port: int, host: str = "0.0.0.0") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[web]\nhost = "{host}"\nport = {port}\n')
    return path


async def test_healthy_unhealthy_and_down(service, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("TRENDBOT_WEB_HOST", raising=False)
    server, answers = service
    config = str(config_for(tmp_path, server.port))
    assert await asyncio.to_thread(main, ["--config", config]) == 0
    answers[0] = 503
    assert await asyncio.to_thread(main, ["--config", config]) == 1
    assert "answered 503" in capsys.readouterr().err
    await server.close()
    assert await asyncio.to_thread(main, ["--config", config]) == 1
    assert "unhealthy: http://127.0.0.1:" in capsys.readouterr().err


def test_a_bad_config_is_unhealthy_in_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[web]\nport = 99999\n")
    assert main(["--config", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("unhealthy: configuration error: web.port")


def test_the_url_reaches_wildcard_binds_on_loopback() -> None:
    assert healthz_url("0.0.0.0", 8080) == "http://127.0.0.1:8080/healthz"
    assert healthz_url("::", 9000) == "http://127.0.0.1:9000/healthz"
    assert healthz_url("10.1.2.3", 80) == "http://10.1.2.3:80/healthz"
    assert healthz_url("::1", 80) == "http://[::1]:80/healthz"


def test_the_image_recipe() -> None:
    """What hadolint (run by `make lint`) cannot know: our own rules for the image."""
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.1[1-3]-slim@sha256:[0-9a-f]{64}", base.group(1))
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    assert "build-essential" not in runtime and "gcc" not in runtime  # no compilers at run time
    assert "--require-hashes" in DOCKERFILE and "requirements/runtime.txt" in DOCKERFILE
    # dependencies are installed before any code reaches either stage
    build = DOCKERFILE.split("AS runtime", 1)[0]
    assert build.index("-r requirements/runtime.txt") < build.index("COPY bot")
    assert runtime.index("/wheels/deps") < runtime.index("/wheels/app")
    mpl = re.search(r"MPLCONFIGDIR=(\S+)", DOCKERFILE)
    assert mpl and not mpl.group(1).startswith("/data")
    assert "TRENDBOT_WEB_HOST=0.0.0.0" in DOCKERFILE
    assert '"python", "-m", "bot.healthcheck", "--config", "/config/config.toml"' in DOCKERFILE
    assert f'org.opencontainers.image.source="{bot.SOURCE_URL}"' in DOCKERFILE
    for label in ("title", "description", "licenses", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in DOCKERFILE
    assert re.search(r"^USER \d+:\d+$", DOCKERFILE, re.MULTILINE)
