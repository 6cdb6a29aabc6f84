"""No secret reaches a log at any level: every line of an OAuth install and of each platform's
start, captured at DEBUG, is searched for every secret and token (in-process and in `run`)."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.discord_adapter import DiscordAdapter
from adapters.slack_adapter import SlackAdapter
from bot import redaction
from bot.config import DiscordConfig, SlackConfig
from bot.redaction import MASK, Redactor
from tests.fake_discord import FakeDiscord
from tests.fake_slack import APP_TOKEN, BOT_TOKEN, OAUTH_TOKEN, SECRET, FakeSlack, served
from tests.test_run_e2e import trendbot

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-0f9e"
CODE = "oauth-code-7d1c"
DISCORD_TOKEN = "discord-bot-token-5a1b"
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
# slack_sdk itself sends oauth.v2.access credentials with aiohttp's deprecated BasicAuth
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer xoxb-123-456-abc", "xoxb-123-456-abc"),
        ("{'Authorization': 'Bot abc.def-ghi'}", "abc.def-ghi"),
        (f"headers={{'Authorization': 'Basic {BASIC}'}}", BASIC),
        ("POST /api/apps.connections.open token xapp-1-A0-99-ffee", "xapp-1-A0-99-ffee"),
        ("refresh xoxe.xoxp-1-Mi0yLTE", "xoxe.xoxp-1-Mi0yLTE"),
        ("IDENTIFY MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123", "MTIzNDU2"),
        ("GET /slack/oauth_redirect?code=4242.99.abc&state=s1", "4242.99.abc"),
        ("body_params: {'code': 'c-1', 'client_secret': 'shh-it-is'}", "shh-it-is"),
        ('{"access_token": "tok-77", "ok": true}', "tok-77"),
        ("GET /3/search/movie?api_key=9c1e77&query=It", "9c1e77"),
        ("GET /?apikey=abcd12&i=tt3588588", "abcd12"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIxMjM0NTYifQ.c2lnbmF0dXJl", "eyJhbGci"),
        ("POST /api/v10/interactions/123/itok-1-xxxxxxxx/callback", "itok-1-xxxxxxxx"),
        ("PATCH /api/v10/webhooks/456/itok-2-yyyyyyyy/messages/@original", "itok-2-yyyyyyyy"),
        ("respond to https://hooks.slack.com/commands/T1/22/abcDEF", "abcDEF"),
        ("{'token': 'itok-3-zzzz', 'type': 2}", "itok-3-zzzz"),
        ("OAuth callback (request: {'code': ['c0de-42'], 'state': ['s']})", "c0de-42"),
    ],
)
def test_token_shaped_strings_are_masked(text: str, secret: str) -> None:
    masked = Redactor()(text)
    assert secret not in masked and MASK in masked


def test_configured_secrets_are_masked_and_ordinary_text_is_not() -> None:
    redact = Redactor([SECRET, "tiny", None, ""])
    assert redact(f"signing with {SECRET}!") == f"signing with {MASK}!"
    ordinary = (
        "chart source https://x/all-weeks-countries.tsv unavailable: HTTP 503; status_code: 200, "
        "exit code: 1, week 2022-06-26, Backtrace (2018) #8 NEW — tiny"
    )
    assert redact(ordinary) == ordinary


@pytest.fixture
def scrubbed(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Redaction installed as `trendbot` installs it, every logger at DEBUG."""
    undo = redaction.install(
        [SECRET, CLIENT_ID, CLIENT_SECRET, BOT_TOKEN, APP_TOKEN, DISCORD_TOKEN]
    )
    caplog.set_level(logging.DEBUG)
    yield caplog
    undo()


def leaked(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> list[str]:
    """Every captured line (message and traceback) that holds one of `secrets`."""
    lines = caplog.text.splitlines()
    for record in caplog.records:
        lines += [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    return [line for line in lines if any(secret in line for secret in secrets)]


def test_install_scrubs_arguments_and_tracebacks_and_undo_restores() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("tests.redaction")
    logger.addHandler(keep := Keep())
    logger.setLevel(logging.DEBUG)
    before = logging.getLogRecordFactory()
    undo = redaction.install([SECRET])
    try:
        assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.INFO
        logger.debug("params %s", ("T0002", OAUTH_TOKEN))
        try:
            raise RuntimeError(f"refused {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        undo()
        logger.removeHandler(keep)
    assert logging.getLogRecordFactory() is before
    text = "\n".join(logging.Formatter().format(r) for r in records)
    assert OAUTH_TOKEN not in text and SECRET not in text and "RuntimeError" in text


async def test_an_oauth_install_logs_no_secret_at_debug(scrubbed, core, clock, fake_slack):
    config = SlackConfig(mode="http", api_base=fake_slack.api_base, signing_secret=SECRET,
                         client_id=CLIENT_ID, client_secret=CLIENT_SECRET)  # fmt: skip
    adapter = SlackAdapter(core, config, clock=clock)
    try:
        async with served(adapter.web_app(), clock, fake_slack) as slack:
            page = await slack.http.get("/slack/install")
            state = re.search(r"state=([\w-]+)", await page.text())
            assert state is not None
            cookie = page.headers["Set-Cookie"].split(";")[0]
            back = await slack.http.get(f"/slack/oauth_redirect?code={CODE}&state={state[1]}",
                                        headers={"Cookie": cookie})  # fmt: skip
            assert back.status == 200
            await fake_slack.next("chat.postMessage")  # the welcome, sent with the new token
            assert await core.store.find_installation(None, "T0002") is not None
    finally:
        await adapter.close()
    assert fake_slack.calls_to("oauth.v2.access")  # the exchange did happen, and was logged
    assert len(scrubbed.records) >= 5
    assert leaked(scrubbed, [SECRET, CLIENT_SECRET, CODE, OAUTH_TOKEN, BASIC]) == []


async def test_slack_socket_mode_start_logs_no_secret_at_debug(scrubbed, core, clock, fake_slack):
    config = SlackConfig(mode="socket", api_base=fake_slack.api_base, bot_token=BOT_TOKEN,
                         app_token=APP_TOKEN)  # fmt: skip
    adapter = SlackAdapter(core, config, clock=clock)
    try:
        await adapter.start_socket_mode()
        assert adapter.connected
    finally:
        await adapter.close()
    assert leaked(scrubbed, [BOT_TOKEN, APP_TOKEN]) == []


async def test_discord_start_and_a_command_log_no_secret_at_debug(scrubbed, core):
    async with FakeDiscord(token=DISCORD_TOKEN) as fake:
        guild = fake.create_guild()
        config = DiscordConfig(token=DISCORD_TOKEN, api_base=fake.api_base,
                               gateway_url=fake.gateway_url)  # fmt: skip
        adapter = DiscordAdapter(core, config, guild_ready_timeout=0.05)
        try:
            await adapter.start()
            handle = await fake.command("help", guild=guild)
            await handle.response()
            tokens = list(fake.interactions)
        finally:
            await adapter.close()
    assert any("INTERACTION_CREATE" in r.getMessage() for r in scrubbed.records)
    assert leaked(scrubbed, [DISCORD_TOKEN, *tokens]) == []


async def test_trendbot_run_at_debug_logs_no_secret(
    tmp_path: Path, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    """The real wiring: `python -m bot run` at DEBUG, Discord and Slack OAuth, one install."""
    async with trendbot(tmp_path, fake_discord, fake_slack, [], oauth=True) as bot:
        bot.env |= {"TRENDBOT_LOG_LEVEL": "DEBUG", "SLACK_CLIENT_SECRET": CLIENT_SECRET}
        child = await bot.start("run")
        async with bot.http.get(bot.url("/slack/install")) as page:
            state = re.search(r"state=([\w-]+)", await page.text())
            cookie = page.headers["Set-Cookie"].split(";")[0]  # Secure: the browser's job
        assert state is not None
        redirect = bot.url(f"/slack/oauth_redirect?code={CODE}&state={state[1]}")
        async with bot.http.get(redirect, headers={"Cookie": cookie}) as back:
            assert back.status == 200
        await fake_slack.next("chat.postMessage", 10)
        await bot.stop(child, "run")
        log = bot.log("run")
    assert "DEBUG discord.gateway" in log and "OAuth callback success" in log
    secrets = [fake_discord.token, SECRET, CLIENT_SECRET, CODE, OAUTH_TOKEN, BASIC]
    assert [line for line in log.splitlines() if any(s in line for s in secrets)] == []
