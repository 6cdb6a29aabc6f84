"""/about and /config forget: the card's version, source, credits and privacy, the server summary,
erasing a server's data, and both commands end to end on Discord (fake_discord), Slack (the real
AsyncApp with signed requests) and the console; PRIVACY.md says what the store keeps."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import bot
from adapters.console_adapter import ConsoleAdapter, interact
from adapters.discord_adapter import DiscordAdapter
from adapters.slack_adapter import SlackAdapter
from bot.asks import Context
from bot.cards import Card
from bot.config import DiscordConfig, SlackConfig
from bot.core import Core
from bot.models import Alert, ChartKey, Deployment, ServerSettings
from bot.store import MIGRATIONS
from bot.words.about import COMMAND_TEXT, IMDB_NOTICE, TMDB_NOTICE, about_card
from bot.words.errors import refusal_card
from tests import discord_payloads as p
from tests.fake_discord import EPHEMERAL, FakeDiscord
from tests.fake_slack import ADMIN, BOT_TOKEN, MEMBER, SECRET, TEAM, FakeSlack, served
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[1]
ADMIN_CTX = Context("discord", "42", "7", "1", is_admin=True)
MEMBER_CTX = Context("discord", "42", "7", "2", is_admin=False)
NOW = datetime(2022, 7, 1, tzinfo=UTC)


def words(card: Card) -> str:
    return "\n".join(
        [card.title, card.text, card.footer]
        + [f"{f.label}: {f.value}" for f in card.fields]
        + [f"{link.label}: {link.url}" for link in card.links]
    )


# ---- the card -----------------------------------------------------------------------------------


def test_about_names_version_source_privacy_and_the_required_notices() -> None:
    card = about_card(Deployment("1.2.3"), None, "discord")
    text = words(card)
    assert "trendbot 1.2.3" in text and "MIT" in text
    assert f"Source code: {bot.SOURCE_URL}" in text
    assert f"Privacy policy: {bot.PRIVACY_URL}" in text
    assert "Netflix Top 10 (netflix.com/tudum/top10)" in text and "engagement reports" in text
    assert "not affiliated with or endorsed by Netflix" in text
    assert TMDB_NOTICE in text  # the bundled catalog carries TMDB ratings
    assert "OMDb" not in text and IMDB_NOTICE not in text
    assert "for 90 days" in text and "`/config forget`" in text
    assert card.private


def test_about_credits_follow_what_is_enabled() -> None:
    both = words(about_card(Deployment("1", ("omdb", "tmdb"), True, 30), None, "slack"))
    assert "OMDb API (omdbapi.com, CC BY-NC 4.0)" in both
    assert "TMDB API (themoviedb.org)" in both and TMDB_NOTICE in both
    assert IMDB_NOTICE in both
    assert "for 30 days" in both and "`/trendbot-config forget`" in both


def test_about_summarises_this_servers_settings() -> None:
    settings = ServerSettings("discord", "42", "7", 70, ("tv",), ("US", "GB"), digest=True)
    text = words(about_card(Deployment("1"), settings, "discord"))
    assert ("This server: Alerts in <#7> for United States, United Kingdom · TV · threshold "
            "70/100 · weekly digest on") in text  # fmt: skip
    paused = ServerSettings("discord", "42", "7", 60, ("films",), ("US",), "Missing Access")
    assert "⚠ paused: Missing Access" in words(about_card(Deployment("1"), paused))
    assert "Not set up yet: an admin starts with `/config channel #alerts`" in words(
        about_card(Deployment("1"), None, "discord")
    )


def test_the_invite_link_is_for_admins_only() -> None:
    url = "https://discord.com/oauth2/authorize?client_id=1&scope=bot"
    admin = about_card(Deployment("1"), None, "discord", is_admin=True, invite_url=url)
    member = about_card(Deployment("1"), None, "discord", invite_url=url)
    assert url in words(admin) and url not in words(member)


def test_every_field_fits_discord_and_slack_limits() -> None:
    settings = ServerSettings("slack", "T1", "C1", 60, ("films", "tv"), ("US",) * 25)
    deployment = Deployment("1", ("omdb", "tmdb"), True)
    card = about_card(deployment, settings, "slack", is_admin=True, invite_url="x" * 200)
    assert len(card.title) <= 256 and len(card.text) <= 4096
    assert all(len(f.label) <= 256 and len(f.value) <= 1024 for f in card.fields)


def test_source_and_privacy_links_match_the_package_metadata() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Source"] == bot.SOURCE_URL
    assert urls["Privacy"] == bot.PRIVACY_URL
    assert bot.PRIVACY_URL.endswith("/PRIVACY.md") and (ROOT / "PRIVACY.md").is_file()


def test_trendbot_about_on_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY", "_SECRET"))}
    env |= {"PYTHONPATH": str(ROOT), "OMDB_API_KEY": "k"}
    done = subprocess.run([sys.executable, "-m", "bot", "about"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"trendbot {bot.__version__}" in done.stdout and bot.SOURCE_URL in done.stdout
    assert "OMDb API" in done.stdout and TMDB_NOTICE in done.stdout
    assert list(tmp_path.iterdir()) == []  # no database for a question about the bot


# ---- through the core, on a real store ----------------------------------------------------------


async def test_about_reads_the_servers_settings_without_creating_them(core: Core) -> None:
    card = await core.run("about", {}, MEMBER_CTX)
    assert card.title == "About trendbot"
    assert await core.store.server("discord", "42") is None
    await core.run_text("config", "channel <#7>", ADMIN_CTX)
    await core.run_text("config", "regions add US", ADMIN_CTX)
    text = words(await core.run_text("about", "", MEMBER_CTX))
    assert "Alerts in <#7> for United States" in text


def alert(server: str, channel: str, title: str) -> Alert:
    key = ChartKey("US", "films")
    return Alert("discord", server, channel, key, date(2022, 6, 26), title, "surprise", Card(title))


async def test_forget_asks_first_then_erases_settings_regions_and_every_alert(core: Core) -> None:
    store = core.store
    await core.run_text("config", "channel <#7>", ADMIN_CTX)
    await core.run_text("config", "regions add US GB", ADMIN_CTX)
    await store.enqueue([alert("42", "7", "Backtrace"), alert("42", "7", "Uncharted"),
                         alert("99", "8", "Backtrace")], NOW)  # fmt: skip
    first, second, _ = await store.due(NOW)
    await store.mark_sent_many([first.id], NOW)  # one delivered, one pending, another server's

    preview = await core.run_text("config", "forget", ADMIN_CTX)
    assert preview.title == "Erase this server's trendbot data?"
    assert "`/config forget confirm: True`" in preview.text
    assert (await store.server("discord", "42")) is not None  # nothing erased yet

    refused = await core.run_text("config", "forget confirm", MEMBER_CTX)
    assert refused.title == refusal_card().title
    assert (await store.server("discord", "42")) is not None

    done = await core.run_text("config", "forget confirm", ADMIN_CTX)
    assert done.title == "This server's trendbot data is erased"
    assert await store.server("discord", "42") is None
    rows = await store._db.all("SELECT server_id, title FROM outbox ORDER BY id")
    assert [tuple(r) for r in rows] == [("99", "Backtrace")]
    regions = await store._db.all("SELECT COUNT(*) FROM server_regions WHERE server_id = '42'")
    assert regions[0][0] == 0


async def test_forget_with_a_stray_word_says_how_to_confirm(core: Core) -> None:
    card = await core.run_text("config", "forget please", ADMIN_CTX)
    assert "`config forget confirm`" in card.text
    assert await core.store.server("discord", "42") is None


# ---- PRIVACY.md ---------------------------------------------------------------------------------


def test_privacy_md_covers_every_table_that_holds_server_or_user_data() -> None:
    """A new table must be explained in PRIVACY.md (what it holds, or that it is about no one)."""
    privacy = (ROOT / "PRIVACY.md").read_text(encoding="utf-8")
    schema = "\n".join(statement for step in MIGRATIONS for statement in step)
    tables = re.findall(r"CREATE TABLE (\w+)", schema)
    assert {"servers", "server_regions", "outbox", "slack_installations"} <= set(tables)
    for table in tables:
        assert f"`{table}`" in privacy, table
    for promise in ("/config forget", "/trendbot-config forget", "uninstall", "retention",
                    "outbox_retention_days", "Discord", "Slack", "logs"):  # fmt: skip
        assert promise in privacy, promise
    assert "](PRIVACY.md)" in (ROOT / "README.md").read_text()


# ---- Discord ------------------------------------------------------------------------------------


@pytest.fixture
async def discord_bot(core: Core, fake_discord: FakeDiscord) -> AsyncIterator[dict[str, Any]]:
    guild = fake_discord.create_guild()
    config = DiscordConfig(token="fake-token", api_base=fake_discord.api_base,
                           gateway_url=fake_discord.gateway_url)  # fmt: skip
    adapter = DiscordAdapter(core, config, guild_ready_timeout=0.05)
    await adapter.start()
    yield guild
    await adapter.close()


def embed_text(request: Any) -> str:
    body = request.json.get("data", request.json)
    [embed] = body["embeds"]
    parts = [embed.get("title", ""), embed.get("description", "")]
    return "\n".join(parts + [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])])


async def test_discord_about_answers_at_once_and_privately(
    discord_bot: dict[str, Any], fake_discord: FakeDiscord
) -> None:
    [about] = [c for c in fake_discord.commands[None] if c["name"] == "about"]
    assert about["description"] == COMMAND_TEXT["about"]
    handle = await fake_discord.command("about", guild=discord_bot)
    reply = await handle.response()
    assert reply.json["type"] == 4 and reply.json["data"]["flags"] & EPHEMERAL
    text = embed_text(reply)
    assert "About trendbot" in text and TMDB_NOTICE in text
    buttons = [c for row in reply.json["data"].get("components", []) for c in row["components"]]
    assert bot.PRIVACY_URL in [b.get("url") for b in buttons]


async def test_discord_config_forget_needs_manage_server_and_confirm(
    core: Core, discord_bot: dict[str, Any], fake_discord: FakeDiscord
) -> None:
    guild_id = str(discord_bot["id"])
    [config] = [c for c in fake_discord.commands[None] if c["name"] == "config"]
    [forget] = [o for o in config["options"] if o["name"] == "forget"]
    assert forget["options"][0]["name"] == "confirm" and forget["options"][0]["type"] == 5
    admin = p.MEMBER | p.MANAGE_GUILD
    handle = await fake_discord.command(
        "config threshold", {"value": 70}, guild=discord_bot, permissions=admin
    )
    await handle.answers()
    assert await core.store.server("discord", guild_id) is not None

    member = p.user(p.snowflake(), "member")
    handle = await fake_discord.command("config forget", {"confirm": True}, guild=discord_bot,
                                        user=member, permissions=p.MEMBER)  # fmt: skip
    [refused] = await handle.answers()
    assert refusal_card().title in embed_text(refused)

    handle = await fake_discord.command("config forget", {}, guild=discord_bot, permissions=admin)
    [preview] = await handle.answers()
    assert "Erase this server's trendbot data?" in embed_text(preview)
    assert await core.store.server("discord", guild_id) is not None

    handle = await fake_discord.command(
        "config forget", {"confirm": True}, guild=discord_bot, permissions=admin
    )
    [done] = await handle.answers()
    assert "This server's trendbot data is erased" in embed_text(done)
    assert all(m["flags"] & EPHEMERAL for m in handle.visible())
    assert await core.store.server("discord", guild_id) is None


# ---- Slack --------------------------------------------------------------------------------------


@pytest.fixture
async def slack(core: Core, fake_slack: FakeSlack, clock: FakeClock) -> AsyncIterator[Any]:
    config = SlackConfig(mode="http", api_base=fake_slack.api_base, bot_token=BOT_TOKEN,
                         signing_secret=SECRET)  # fmt: skip
    adapter = SlackAdapter(core, config, clock=clock)
    async with served(adapter.web_app(), clock, fake_slack) as side:
        yield side
    await adapter.close()


def block_text(blocks: list[dict[str, Any]]) -> str:
    found = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                found.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("text"), dict):
                found.append(part["text"]["text"])
            if isinstance(part, dict) and part.get("url"):
                found.append(part["url"])
    return "\n".join(found)


async def test_slack_about_is_private_and_says_how_to_forget(slack: Any, fake_slack: FakeSlack):
    answer = await slack.answer("/trendbot-about", user=MEMBER)
    assert answer["response_type"] == "ephemeral"
    text = block_text(answer["blocks"])
    assert "About trendbot" in text and "`/trendbot-config forget`" in text
    assert bot.PRIVACY_URL in text


async def test_slack_config_forget_erases_the_workspace(
    slack: Any, fake_slack: FakeSlack, core: Core
) -> None:
    await slack.answer("/trendbot-config", "channel <#C0042|alerts>", user=ADMIN)
    assert await core.store.server("slack", TEAM) is not None
    preview = await slack.answer("/trendbot-config", "forget", user=ADMIN)
    assert "`/trendbot-config forget confirm`" in block_text(preview["blocks"])
    assert "uninstall" in block_text(preview["blocks"])
    done = await slack.answer("/trendbot-config", "forget confirm", user=ADMIN)
    assert "erased" in block_text(done["blocks"])
    assert await core.store.server("slack", TEAM) is None


# ---- console ------------------------------------------------------------------------------------


async def test_console_about(core: Core) -> None:
    lines = iter(["/about", "quit"])

    async def read_line(prompt: str) -> str | None:
        return next(lines)

    out = io.StringIO()
    ctx = Context("console", "demo", "alerts", "me", is_admin=True)
    await interact(core, ctx, ConsoleAdapter(out), read_line)
    assert "About trendbot" in out.getvalue() and bot.SOURCE_URL in out.getvalue()
