"""`trendbot run --check --online`: one real call per configured credential, against the local fake
Discord and Slack and a local OMDb/TMDB stand-in serving their documented answers."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cli.serve import check_online
from bot.config import Config, DiscordConfig, ReviewsConfig, SlackConfig
from bot.preflight import Check, report
from bot.service import plan
from tests.fake_discord import FakeDiscord
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, SECRET, FakeSlack

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "reviews_api"
OMDB_KEY = "omdb-key-f00d"
TMDB_KEY = "tmdb-key-beef"


class Reviews:
    """OMDb and TMDB stand-ins: the right key gets Backtrace, a wrong one their documented 401."""

    def __init__(self) -> None:
        self.server: TestServer | None = None
        self.requests: list[str] = []

    async def start(self) -> Reviews:
        app = web.Application()
        app.router.add_get("/omdb/", self._omdb)
        app.router.add_get("/tmdb/3/search/movie", self._tmdb)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    async def _omdb(self, request: web.Request) -> web.Response:
        self.requests.append("omdb")
        if request.query.get("apikey") != OMDB_KEY:
            return _file("omdb_error_invalid_api_key.json", 401)
        assert request.query.get("i") == "tt3588588"
        return _file("omdb_backtrace_tt3588588_modelled.json")

    async def _tmdb(self, request: web.Request) -> web.Response:
        self.requests.append("tmdb")
        if request.query.get("api_key") != TMDB_KEY:
            return _file("tmdb_error_401_invalid_key.json", 401)
        return _file("tmdb_search_movie_backtrace_2018_modelled.json")


def _file(name: str, status: int = 200) -> web.Response:
    return web.json_response(json.loads((DATA / name).read_text()), status=status)


@pytest.fixture
async def reviews() -> AsyncIterator[Reviews]:
    stand_in = await Reviews().start()
    yield stand_in
    assert stand_in.server is not None
    await stand_in.server.close()


def configured(
    fake_discord: FakeDiscord,
    fake_slack: FakeSlack,
    reviews: Reviews,
    *,
    discord_token: str | None = None,
    omdb_key: str = OMDB_KEY,
    slack: SlackConfig | None = None,
) -> Config:
    return Config(
        discord=DiscordConfig(token=discord_token or fake_discord.token,
                              api_base=fake_discord.api_base),  # fmt: skip
        slack=slack or SlackConfig(mode="socket", api_base=fake_slack.api_base,
                                   bot_token=BOT_TOKEN, app_token=APP_TOKEN),  # fmt: skip
        reviews=ReviewsConfig(omdb_url=reviews.url("/omdb/"), tmdb_url=reviews.url("/tmdb/3/"),
                              omdb_api_key=omdb_key, tmdb_api_key=TMDB_KEY, timeout_seconds=5),
    )  # fmt: skip


async def run_check(config: Config, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await check_online(config, plan(config))
    return code, capsys.readouterr().out


async def test_every_configured_credential_is_tried_once_and_works(
    fake_discord: FakeDiscord, fake_slack: FakeSlack, reviews: Reviews, capsys
) -> None:
    code, out = await run_check(configured(fake_discord, fake_slack, reviews), capsys)
    assert code == 0, out
    assert "✔ Discord (DISCORD_TOKEN): logged in as " in out
    assert "✔ Slack (SLACK_BOT_TOKEN): bot trendbot in workspace Test (T0001)" in out
    assert "✔ Slack (SLACK_APP_TOKEN): Socket Mode connections can open" in out
    assert "✔ OMDb (OMDB_API_KEY): works (Backtrace: imdb 3.8/10" in out
    assert "✔ TMDB (TMDB_API_KEY): works (Backtrace: tmdb" in out
    assert out.rstrip().endswith("all 5 work")
    me = [r for r in fake_discord.requests if r.path.endswith("/users/@me")]
    assert len(me) == 1 and me[0].method == "GET"
    assert [c.method for c in fake_slack.calls] == ["auth.test", "apps.connections.open"]
    assert fake_slack.calls[0].token == BOT_TOKEN and fake_slack.calls[1].token == APP_TOKEN
    assert reviews.requests == ["omdb", "tmdb"]


async def test_refused_credentials_are_named_and_never_printed(
    fake_discord: FakeDiscord, fake_slack: FakeSlack, reviews: Reviews, capsys
) -> None:
    fake_slack.fail("auth.test", "invalid_auth")
    fake_slack.fail("apps.connections.open", "invalid_auth")
    config = configured(fake_discord, fake_slack, reviews, discord_token="wrong-token-123",
                        omdb_key="wrong-omdb-key-456")  # fmt: skip
    config = replace(config, reviews=replace(config.reviews, tmdb_api_key="wrong-tmdb-789"))
    code, out = await run_check(config, capsys)
    assert code == 1
    assert "✖ Discord (DISCORD_TOKEN): the token was refused (401 Unauthorized)" in out
    assert "✖ Slack (SLACK_BOT_TOKEN): auth.test refused it (invalid_auth)" in out
    assert "✖ Slack (SLACK_APP_TOKEN): apps.connections.open refused it (invalid_auth)" in out
    assert "✖ OMDb (OMDB_API_KEY): " in out and "Invalid API key" in out
    assert "✖ TMDB (TMDB_API_KEY): " in out and "HTTP 401" in out
    assert "5 of 5 failed" in out
    for secret in ("wrong-token-123", "wrong-omdb-key-456", "wrong-tmdb-789", BOT_TOKEN,
                   APP_TOKEN):  # fmt: skip
        assert secret not in out


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk's
async def test_slack_oauth_client_is_checked_with_a_code_that_cannot_work(
    fake_discord: FakeDiscord, fake_slack: FakeSlack, reviews: Reviews, capsys
) -> None:
    oauth = SlackConfig(mode="http", api_base=fake_slack.api_base, signing_secret=SECRET,
                        client_id="1111.2222", client_secret="client-secret")  # fmt: skip
    config = replace(configured(fake_discord, fake_slack, reviews, slack=oauth),
                     discord=DiscordConfig(), reviews=ReviewsConfig())  # fmt: skip
    fake_slack.fail("oauth.v2.access", "invalid_code")
    code, out = await run_check(config, capsys)
    assert code == 0 and "✔ Slack (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET): Slack accepts" in out
    [call] = fake_slack.calls
    assert call.method == "oauth.v2.access" and call.body.get("code") == "trendbot-preflight"
    fake_slack.fail("oauth.v2.access", "bad_client_secret")
    code, out = await run_check(config, capsys)
    assert code == 1 and "refused them (bad_client_secret)" in out


async def test_a_platform_that_cannot_be_reached_is_a_failure_not_a_traceback(
    fake_slack: FakeSlack, capsys
) -> None:
    closed = TestServer(web.Application(), host="127.0.0.1")
    await closed.start_server()
    dead = str(closed.make_url("/api"))
    await closed.close()
    config = Config(discord=DiscordConfig(token="t", api_base=dead))
    code, out = await run_check(config, capsys)
    assert code == 1 and "✖ Discord (DISCORD_TOKEN): Discord could not be reached" in out


def test_nothing_configured_is_said_plainly() -> None:
    assert report([]) == (
        ["Online check: nothing configured to check (no tokens or keys are set)"],
        0,
    )
    lines, code = report([Check("A", True, "fine"), Check("B", False, "no")])
    assert code == 1 and lines[-1] == "1 of 2 failed: B"


async def test_the_command_line_runs_the_check(
    fake_discord: FakeDiscord, fake_slack: FakeSlack, reviews: Reviews, tmp_path: Path
) -> None:
    """`trendbot run --check --online` as a process, secrets from the environment."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[discord]\napi_base = "{fake_discord.api_base}"\n'
        f'[slack]\napi_base = "{fake_slack.api_base}"\n'
        f'[reviews]\nomdb_url = "{reviews.url("/omdb/")}"\n'
    )
    env: dict[str, Any] = {k: v for k, v in os.environ.items()
                           if not k.endswith(("_TOKEN", "_KEY", "_SECRET", "_ID"))}  # fmt: skip
    env |= {"PYTHONPATH": str(ROOT), "DISCORD_TOKEN": fake_discord.token,
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
            "OMDB_API_KEY": OMDB_KEY}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--check", "--online", "--config", str(config_file),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    text = out.decode()
    assert process.returncode == 0, text + err.decode()
    assert "Discord: on" in text and "all 4 work" in text
    assert "Traceback" not in err.decode()
    assert not (tmp_path / "trendbot.db").exists()  # a check creates no database
