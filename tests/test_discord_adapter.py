"""The Discord adapter end to end: the real discord.py client against tests/fake_discord.py.

Each test starts the adapter (login, command sync, gateway handshake) against a fresh fake on
127.0.0.1, drives it with gateway events and checks what reaches Discord's REST API.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord_adapter import DiscordAdapter, intents
from adapters.discord_render import COLOURS
from bot.asks import Context
from bot.cards import Card, Field, Tone
from bot.config import DiscordConfig
from bot.core import Core
from bot.errors import ChannelUnavailable, ConfigError, RateLimited, TransientDeliveryError
from bot.models import Alert, ChartKey
from bot.notify import Notifier
from bot.words.about import help_card, welcome_card
from bot.words.charts import alert_card
from bot.words.errors import internal_error_card, refusal_card
from tests import discord_payloads as p
from tests.fake_discord import EPHEMERAL, FakeDiscord, Limit, RateLimits, Recorded
from tests.fakes import FakeClock, FakeSleep

ADMIN = p.MEMBER | p.MANAGE_GUILD
WEEK = date(2022, 6, 26)


@dataclass
class Bot:
    adapter: DiscordAdapter
    fake: FakeDiscord
    guild: dict[str, Any]
    core: Core
    clock: FakeClock

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    def channel(self, name: str) -> int:
        return next(int(c["id"]) for c in self.guild["channels"] if c["name"] == name)

    def ctx(self, *, admin: bool = True) -> Context:
        return Context("discord", str(self.guild_id), str(self.channel("general")), "1", admin)


def config_for(fake: FakeDiscord, **overrides: Any) -> DiscordConfig:
    settings: dict[str, Any] = {
        "token": "fake-token",
        "api_base": fake.api_base,
        "gateway_url": fake.gateway_url,
    }
    return DiscordConfig(**(settings | overrides))


@pytest.fixture(autouse=True)
def quiet_logs(caplog: pytest.LogCaptureFixture):
    """No test may leave an ERROR record or a traceback in the log."""
    yield
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [r.getMessage() for r in loud]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def bot(core: Core, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[Bot]:
    guild = fake.create_guild()
    adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
    await adapter.start()
    yield Bot(adapter, fake, guild, core, clock)
    await adapter.close()


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until `check()` holds, yielding to the loop between tries (bounded, no sleeps)."""

    async def poll() -> None:
        while True:
            result = check()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(0)

    await asyncio.wait_for(poll(), timeout)


def embed_of(request: Recorded) -> dict[str, Any]:
    body = request.json.get("data", request.json) if "type" in request.json else request.json
    [embed] = body["embeds"]
    return dict(embed)


def text_of(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


# ---- connecting ---------------------------------------------------------------------------------


async def test_start_logs_in_and_identifies_with_minimal_intents(bot: Bot) -> None:
    [identify] = bot.fake.identifies
    assert identify["token"] == "fake-token"
    assert identify["intents"] == intents().value
    privileged = discord.Intents(members=True, presences=True, message_content=True).value
    assert identify["intents"] & privileged == 0
    assert all(r.headers["Authorization"] == "Bot fake-token" for r in bot.fake.requests[:3])
    assert bot.adapter.connected
    assert [g.id for g in bot.adapter.client.guilds] == [bot.guild_id]


async def test_close_disconnects_and_restores_discord_endpoints(core: Core, fake: FakeDiscord):
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
    await adapter.start()
    assert Route.BASE == fake.api_base
    await adapter.close()
    assert not adapter.connected
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == original


async def test_rejected_token_is_a_clear_config_error(core: Core, fake: FakeDiscord) -> None:
    original = Route.BASE
    adapter = DiscordAdapter(core, config_for(fake, token="not-the-token"))
    with pytest.raises(ConfigError, match="DISCORD_TOKEN was rejected"):
        await adapter.start()
    assert fake.requests[0].status == 401
    assert fake.identifies == []
    assert Route.BASE == original and not adapter.connected


async def test_a_refused_intent_is_a_clear_config_error(core: Core) -> None:
    async with FakeDiscord(allowed_intents=0) as fake:  # Discord closes with 4014
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        with pytest.raises(ConfigError, match="refused the gateway connection"):
            await adapter.start()
        assert len(fake.identifies) == 1 and not adapter.connected


async def test_missing_token_fails_before_any_request(core: Core, fake: FakeDiscord) -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        await DiscordAdapter(core, config_for(fake, token=None)).start()
    assert fake.requests == []


async def test_shard_count_runs_every_shard(core: Core) -> None:
    time = FakeSleep()  # identifies are paced on a clock the fake and the adapter share
    async with FakeDiscord(clock=time.monotonic) as fake:
        await _run_two_shards(core, fake, time)
    assert time.sleeps == [5.0]  # max_concurrency 1: the second IDENTIFY waits its 5 s


async def _run_two_shards(core: Core, fake: FakeDiscord, time: FakeSleep) -> None:
    guilds = [fake.create_guild(f"Server {n}") for n in range(2)]
    assert {(int(g["id"]) >> 22) % 2 for g in guilds} == {0, 1}  # one guild per shard
    adapter = DiscordAdapter(core, config_for(fake, shard_count=2), guild_ready_timeout=0.05,
                             monotonic=time.monotonic, sleep=time)  # fmt: skip
    await adapter.start()
    try:
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        assert fake.invalid_sessions == 0
        assert adapter.connected and len(adapter.client.guilds) == 2
        for guild in guilds:  # each shard delivers its own guild's commands
            reply = await (await fake.command("help", guild=guild)).response()
            assert reply.json["type"] == 4
    finally:
        await adapter.close()


async def test_reconnect_resumes_the_session(bot: Bot) -> None:
    await bot.fake.reconnect()
    handle = await bot.fake.command("help", guild=bot.guild)  # reaches the client after RESUME
    assert (await handle.response()).json["type"] == 4
    assert len(bot.fake.identifies) == 1  # resumed, not re-identified
    assert bot.adapter.connected


# ---- command schema -----------------------------------------------------------------------------


def _option(command: dict[str, Any], *path: str) -> dict[str, Any]:
    node = command
    for name in path:
        node = next(o for o in node["options"] if o["name"] == name)
    return node


async def test_sync_publishes_the_command_schema_globally(bot: Bot) -> None:
    commands = {c["name"]: c for c in bot.fake.commands[None]}
    assert set(commands) == {"trending", "surprises", "watch", "help", "about", "config"}
    config = commands["config"]
    assert str(config["default_member_permissions"]) == "32"  # Manage Server
    assert "dm_permission" not in config and config["contexts"] == [0]  # guilds only
    category = _option(commands["trending"], "category")
    assert [c["value"] for c in category["choices"]] == ["films", "tv"]
    assert _option(commands["trending"], "region")["autocomplete"] is True
    assert _option(commands["watch"], "title")["autocomplete"] is True
    assert _option(commands["watch"], "title")["required"] is True
    assert _option(config, "regions", "add", "regions")["autocomplete"] is True
    assert _option(config, "channel", "channel")["channel_types"] == [0, 5]
    threshold = _option(config, "threshold", "value")
    assert (threshold["min_value"], threshold["max_value"]) == (0, 100)
    assert all(str(c.get("default_member_permissions")) == "None" for c in commands.values()
               if c["name"] != "config")  # fmt: skip


async def test_dev_guild_ids_sync_to_those_guilds_only(core: Core, fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(core, config_for(fake, dev_guild_ids=(42,)), guild_ready_timeout=0.05)
    await adapter.start()
    await adapter.close()
    assert list(fake.commands) == [42]
    assert {c["name"] for c in fake.commands[42]} >= {"trending", "config"}


# ---- slash commands -----------------------------------------------------------------------------


async def test_trending_defers_then_follows_up_with_the_chart(bot: Bot) -> None:
    options = {"region": "US", "category": "films", "week": "2022-06-26"}
    handle = await bot.fake.command("trending", options, guild=bot.guild)
    deferred = await handle.response()
    assert deferred.json["type"] == 5 and not deferred.json.get("data", {}).get("flags")
    [followup] = await handle.answers()
    embed = embed_of(followup)
    assert embed["title"] == "Top 10 · United States · Films"
    assert any(f["name"] == "#8 NEW · Backtrace ⚡" for f in embed["fields"])
    assert len(embed["fields"]) == 10
    assert "week ending 2022-06-26" in embed["footer"]["text"]
    assert "Netflix" in embed["footer"]["text"]
    assert embed["color"] == COLOURS[Tone.INFO].value
    [shown] = handle.visible()
    assert not shown["flags"] & EPHEMERAL


async def test_watch_sends_the_verdict_with_picture_and_link_buttons(bot: Bot) -> None:
    handle = await bot.fake.command("watch", {"title": "Backtrace"}, guild=bot.guild)
    assert (await handle.response()).json["type"] == 5
    [followup] = await handle.answers()
    embed = embed_of(followup)
    assert embed["title"] == "Should you watch Backtrace (2018)?"
    assert embed["color"] == COLOURS[Tone.WARNING].value  # "Skip it"
    [upload] = followup.files
    assert upload.data.startswith(b"\x89PNG") and upload.filename.endswith(".png")
    assert embed["image"]["url"] == f"attachment://{upload.filename}"
    assert followup.json["attachments"][0]["filename"] == upload.filename
    [row] = followup.json["components"]
    [button] = row["components"]
    assert button["style"] == 5 and button["url"] == "https://www.imdb.com/title/tt3588588/"


async def test_slow_commands_answer_inside_the_deadline(core: Core) -> None:
    async with FakeDiscord(interaction_deadline=0.5) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()
        try:
            handle = await fake.command("watch", {"title": "It"}, guild=guild)
            assert (await handle.response()).status == 200  # a late callback gets 404 10062
            [followup] = await handle.answers()
            assert followup.status == 200 and followup.files
        finally:
            await adapter.close()


async def test_help_replies_at_once_and_privately(bot: Bot) -> None:
    handle = await bot.fake.command("help", guild=bot.guild)
    reply = await handle.response()
    assert reply.json["type"] == 4
    assert reply.json["data"]["flags"] & EPHEMERAL
    assert embed_of(reply)["title"] == help_card().title


async def test_a_private_card_after_a_public_defer_stays_private(bot: Bot) -> None:
    handle = await bot.fake.command("trending", {"region": "Narnia"}, guild=bot.guild)
    assert (await handle.response()).json["type"] == 5
    [followup] = await handle.answers()
    deletes = [r for r in bot.fake.requests if r.method == "DELETE" and handle.token in r.path]
    assert [r.path.rsplit("/", 1)[-1] for r in deletes] == ["@original"]
    [shown] = handle.visible()  # the "thinking…" message is gone, the error only for the asker
    assert shown["flags"] & EPHEMERAL
    assert "Unknown region “Narnia”" in text_of(embed_of(followup))


async def test_surprises_and_region_lists_answer_in_the_channel(bot: Bot) -> None:
    handle = await bot.fake.command("surprises", {"region": "US"}, guild=bot.guild)
    [followup] = await handle.answers()
    assert embed_of(followup)["title"] == "No surprises in 🇺🇸 United States this week"
    assert not handle.visible()[0]["flags"] & EPHEMERAL
    for path, options in [
        ("config regions add", {"regions": "US, GB, Brazil"}),
        ("config regions remove", {"regions": "GB"}),
        ("config regions list", {}),
    ]:
        handle = await bot.fake.command(path, options, guild=bot.guild, permissions=ADMIN)
        [followup] = await handle.answers()
    assert "Brazil" in text_of(embed_of(followup)) and "Kingdom" not in text_of(embed_of(followup))
    settings = await bot.core.store.server("discord", str(bot.guild_id))
    assert settings is not None and settings.regions == ("US", "BR")


async def test_commands_work_in_a_dm(bot: Bot) -> None:
    handle = await bot.fake.command("watch", {"title": "Backtrace"}, guild=None)
    [followup] = await handle.answers()
    assert embed_of(followup)["title"] == "Should you watch Backtrace (2018)?"
    forged = await bot.fake.command("config show", guild=None, permissions=ADMIN)
    [refused] = await forged.answers()  # /config is guild-only; a DM has no Manage Server
    assert embed_of(refused)["title"] == refusal_card().title


async def test_a_late_answer_is_logged_not_raised(bot: Bot, caplog) -> None:
    bot.fake.interaction_deadline = 0.0  # every callback now arrives "after 3 s"
    handle = await bot.fake.command("trending", {"region": "US"}, guild=bot.guild)
    reply = await handle.response()
    assert reply.status == 404  # Discord's 10062 "Unknown interaction"
    await eventually(lambda: any("expired" in r.getMessage() for r in caplog.records))
    assert handle.visible() == []


async def test_a_failed_reply_becomes_an_apology(bot: Bot, caplog) -> None:
    bot.fake.fail("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 400, code=50035,
                  message="Invalid Form Body")  # fmt: skip
    handle = await bot.fake.command("trending", {"region": "US"}, guild=bot.guild)
    followups = await handle.answers(count=2)
    assert [f.status for f in followups] == [400, 200]
    assert embed_of(followups[1])["title"] == internal_error_card().title
    assert [bool(m["flags"] & EPHEMERAL) for m in handle.visible()] == [True]
    assert any(r.levelno == logging.ERROR for r in caplog.records)  # a payload bug is loud
    caplog.clear()


async def test_config_refuses_members_without_manage_server(bot: Bot) -> None:
    member = p.user(p.snowflake(), "member")
    handle = await bot.fake.command(
        "config threshold", {"value": 70}, guild=bot.guild, user=member, permissions=p.MEMBER
    )
    deferred = await handle.response()
    assert deferred.json["type"] == 5 and deferred.json["data"]["flags"] & EPHEMERAL
    [followup] = await handle.answers()
    assert embed_of(followup)["title"] == refusal_card().title
    assert all(m["flags"] & EPHEMERAL for m in handle.visible())
    assert await bot.core.store.server("discord", str(bot.guild_id)) is None


async def test_admins_configure_channel_regions_threshold_and_categories(bot: Bot) -> None:
    alerts = bot.fake.channels[bot.channel("alerts")]
    steps: list[tuple[str, dict[str, Any]]] = [
        ("config channel", {"channel": alerts}),
        ("config regions add", {"regions": "US, GB"}),
        ("config threshold", {"value": 70}),
        ("config categories", {"categories": "tv"}),
        ("config show", {}),
    ]
    for path, options in steps:
        handle = await bot.fake.command(path, options, guild=bot.guild, permissions=ADMIN)
        [followup] = await handle.answers()
        assert embed_of(followup)["color"] in (COLOURS[Tone.GOOD].value, COLOURS[Tone.INFO].value)
        assert all(m["flags"] & EPHEMERAL for m in handle.visible())
    settings = await bot.core.store.server("discord", str(bot.guild_id))
    assert settings is not None
    assert settings.channel_id == str(bot.channel("alerts"))
    assert settings.regions == ("US", "GB")
    assert (settings.threshold, settings.categories) == (70, ("tv",))
    assert f"<#{bot.channel('alerts')}>" in text_of(embed_of(followup))


async def test_autocomplete_offers_regions_titles_and_list_items(bot: Bot) -> None:
    cases = [
        ("trending", {"region": "united"}, "region", "US"),
        ("watch", {"title": "backt"}, "title", "Backtrace"),
        ("config regions add", {"regions": "US, germ"}, "regions", "US, DE"),
    ]
    for path, options, focused, wanted in cases:
        handle = await bot.fake.autocomplete(path, options, focused, guild=bot.guild)
        reply = await handle.response()
        assert reply.status == 200 and reply.json["type"] == 8
        choices = reply.json["data"]["choices"]
        assert 0 < len(choices) <= 25
        assert wanted in [c["value"] for c in choices], choices


async def test_autocomplete_survives_odd_input(bot: Bot) -> None:
    for current in ["", "🦄" * 3000, "\u202e\x00", "   ", ",,,"]:
        handle = await bot.fake.autocomplete(
            "trending", {"region": current}, "region", guild=bot.guild
        )
        reply = await handle.response()
        assert reply.status == 200 and len(reply.json["data"]["choices"]) <= 25


BAD_INPUT = [
    ("trending", {"region": "Narnia"}, "Unknown region “Narnia”"),
    ("trending", {"category": "docs"}, "Category must be films or tv"),
    ("trending", {"week": "next tuesday"}, "Week must look like 2022-06-26"),
    ("trending", {"week": "2022-02-30"}, "is not a real date"),
    ("surprises", {"region": "🦄"}, "Unknown region “🦄”"),
    ("watch", {"title": ""}, "Which title?"),
    ("watch", {"title": "x" * 2000}, "2000 characters long"),
    ("watch", {"title": "\u202e\x00Z̸̢a̵l̶g̷o"}, "I don't know"),
    ("watch", {"title": "Backtrace", "region": "Atlantis"}, "Unknown region “Atlantis”"),
    ("config threshold", {"value": 150}, "between 0 and 100, not 150"),
    ("config threshold", {"value": -5}, "between 0 and 100, not -5"),
    ("config categories", {"categories": "docs"}, "Categories are films and tv"),
    ("config regions add", {"regions": "Narnia"}, "Unknown region “Narnia”"),
    ("config regions remove", {"regions": "   "}, "Name at least one region"),
]


@pytest.mark.parametrize(("path", "options", "says"), BAD_INPUT)
async def test_bad_input_gets_a_clear_private_message(bot: Bot, path, options, says) -> None:
    handle = await bot.fake.command(path, options, guild=bot.guild, permissions=ADMIN)
    [followup] = await handle.answers()
    embed = embed_of(followup)
    assert says in text_of(embed)
    assert embed["color"] in (COLOURS[Tone.ERROR].value, COLOURS[Tone.WARNING].value)
    assert [bool(m["flags"] & EPHEMERAL) for m in handle.visible()] == [True]


# ---- mentions and DMs ---------------------------------------------------------------------------


async def test_a_mention_gets_a_verdict_reply(bot: Bot) -> None:
    question = await bot.fake.say("should I watch Backtrace?", guild=bot.guild, mention_bot=True)
    general = bot.channel("general")
    [reply] = await bot.fake.wait_for(lambda r: r.path == f"/channels/{general}/messages")
    assert embed_of(reply)["title"] == "Should you watch Backtrace (2018)?"
    assert str(reply.json["message_reference"]["message_id"]) == question["id"]
    assert reply.json["allowed_mentions"]["parse"] == []
    assert reply.files and reply.files[0].data.startswith(b"\x89PNG")
    assert any(r.path == f"/channels/{general}/typing" for r in bot.fake.requests)


async def test_messages_without_a_mention_are_ignored(bot: Bot) -> None:
    await bot.fake.say("should I watch Backtrace?", guild=bot.guild)
    second = await bot.fake.say("hello", guild=bot.guild, mention_bot=True)
    general = bot.channel("general")
    [reply] = await bot.fake.wait_for(lambda r: r.path == f"/channels/{general}/messages")
    assert str(reply.json["message_reference"]["message_id"]) == second["id"]
    assert embed_of(reply)["title"] == help_card().title  # not a question → help


async def test_a_dm_question_is_answered_in_the_dm(bot: Bot) -> None:
    question = await bot.fake.say("is It any good?", guild=None)
    dm = question["channel_id"]
    [reply] = await bot.fake.wait_for(lambda r: r.path == f"/channels/{dm}/messages")
    assert embed_of(reply)["title"] == "Should you watch It (2017)?"


# ---- guild lifecycle ----------------------------------------------------------------------------


async def test_joining_a_guild_posts_the_welcome_where_the_bot_may_write(bot: Bot) -> None:
    muted = [p.overwrite(0, deny=p.SEND_MESSAGES)]  # id fixed below: @everyone = the guild id
    guild = bot.fake.create_guild("New", ("rules", "lobby"), channel_overwrites={"rules": muted})
    guild["channels"][0]["permission_overwrites"][0]["id"] = guild["id"]
    await bot.fake.join_guild(guild)
    lobby = guild["channels"][1]["id"]
    [posted] = await bot.fake.wait_for(lambda r: r.path == f"/channels/{lobby}/messages")
    assert embed_of(posted)["title"] == welcome_card().title
    assert not any(r.path == f"/channels/{guild['channels'][0]['id']}/messages"
                   for r in bot.fake.requests)  # fmt: skip
    assert await bot.core.store.server("discord", guild["id"]) is not None


async def test_leaving_a_guild_forgets_it_but_an_outage_does_not(bot: Bot) -> None:
    other = bot.fake.create_guild("Other")
    await bot.fake.join_guild(other)
    for guild_id in (bot.guild_id, int(other["id"])):
        ctx = Context("discord", str(guild_id), "1", "1", is_admin=True)
        await bot.core.run("config regions add", {"regions": "US"}, ctx)
    store = bot.core.store
    await bot.fake.leave_guild(bot.guild_id, outage=True)
    await bot.fake.leave_guild(int(other["id"]))

    async def other_forgotten() -> bool:
        return await store.server("discord", other["id"]) is None

    await eventually(other_forgotten)
    assert await store.server("discord", str(bot.guild_id)) is not None


# ---- alerts -------------------------------------------------------------------------------------


async def _queue_backtrace_alert(bot: Bot, channel_id: int) -> Card:
    ctx = bot.ctx()
    await bot.core.run("config channel", {"channel": str(channel_id)}, ctx)
    await bot.core.run("config regions add", {"regions": "US"}, ctx)
    entries = await bot.core.analyst.chart(ChartKey("US", "films"), WEEK) or ()
    [entry] = [e for e in entries if e.movement.title == "Backtrace"]
    card = alert_card(entry)
    alert = Alert("discord", str(bot.guild_id), str(channel_id), ChartKey("US", "films"), WEEK,
                  "Backtrace", "surprise", card)  # fmt: skip
    await bot.core.store.enqueue([alert], bot.clock())
    return card


def _notifier(bot: Bot) -> Notifier:
    return Notifier(bot.core.store, {"discord": bot.adapter}, bot.clock)


async def test_an_alert_is_posted_as_an_embed_with_its_nonce(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    card = await _queue_backtrace_alert(bot, alerts)
    report = await _notifier(bot).drain()
    assert report.sent == 1
    [posted] = bot.fake.sent_to(alerts)
    embed = embed_of(posted)
    assert embed["title"] == card.title and "Backtrace" in embed["title"]
    assert embed["color"] == COLOURS[card.tone].value
    assert any(f["name"] == "Why it's a surprise" for f in embed["fields"])
    assert posted.json["nonce"].startswith("tb") and posted.json["enforce_nonce"] is True
    assert posted.json["components"][0]["components"][0]["style"] == 5


async def test_a_repeated_nonce_posts_once(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    card = Card("Twice?", "the same alert after a crash")
    await bot.adapter.send(str(alerts), card, "tb7")
    await bot.adapter.send(str(alerts), card, "tb7")
    assert len(bot.fake.sent_to(alerts)) == 2
    assert len(bot.fake.messages[alerts]) == 1


async def test_a_forbidden_channel_disables_the_subscription(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    await _queue_backtrace_alert(bot, alerts)
    bot.fake.forbid(alerts)
    report = await _notifier(bot).drain()
    assert (report.sent, report.failed) == (0, 1)
    settings = await bot.core.store.server("discord", str(bot.guild_id))
    assert settings is not None and settings.disabled_reason is not None
    assert "403" in settings.disabled_reason and "50013" in settings.disabled_reason


async def test_a_deleted_channel_disables_the_subscription(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    await _queue_backtrace_alert(bot, alerts)
    bot.fake.delete_channel(alerts)
    report = await _notifier(bot).drain()
    assert report.failed == 1
    settings = await bot.core.store.server("discord", str(bot.guild_id))
    assert settings is not None
    assert settings.disabled_reason == "Discord 404 Not Found: Unknown Channel (code 10003)"
    with pytest.raises(ChannelUnavailable, match="not a Discord channel id"):
        await bot.adapter.send("C0123", Card("hello"), "tb1")  # a Slack id in a Discord row


async def test_a_429_is_waited_out_and_delivered_once(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    await _queue_backtrace_alert(bot, alerts)
    bot.fake.fail("POST", f"/channels/{alerts}/messages", 429, retry_after=0.05)
    report = await _notifier(bot).drain()
    assert report.sent == 1
    assert [r.status for r in bot.fake.sent_to(alerts)] == [429, 200]
    assert len(bot.fake.messages[alerts]) == 1


async def test_a_long_rate_limit_is_handed_to_the_notifier(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    bot.fake.fail("POST", f"/channels/{alerts}/messages", 429, retry_after=120)
    with pytest.raises(RateLimited) as raised:
        await bot.adapter.send(str(alerts), Card("later"), "tb1")
    assert raised.value.retry_after == pytest.approx(120)
    bot.fake.fail("POST", f"/channels/{alerts}/messages", 429, retry_after=5, via=False)
    with pytest.raises(RateLimited):  # a 429 without Via (Cloudflare) is not retried in place
        await bot.adapter.send(str(alerts), Card("later"), "tb2")
    assert bot.fake.messages.get(alerts) is None


async def test_a_global_rate_limit_holds_every_send_until_it_clears(core: Core) -> None:
    async with FakeDiscord(rate_limits=RateLimits(global_limit=Limit(3, 0.2))) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()  # login + sync use up 3 requests: the window starts full
        try:
            channels = [int(c["id"]) for c in guild["channels"]]
            await asyncio.gather(
                *(adapter.send(str(c), Card(f"alert {n}"), f"tb{n}-{c}")
                  for n in range(2) for c in channels)
            )  # fmt: skip
        finally:
            await adapter.close()
        statuses = [r.status for c in channels for r in fake.sent_to(c)]
        assert 429 in statuses
        assert sum(len(fake.messages[c]) for c in channels) == 4


async def test_server_errors_are_transient(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    bot.fake.fail("POST", f"/channels/{alerts}/messages", 503, message="Service Unavailable")
    with pytest.raises(TransientDeliveryError, match="503"):
        await bot.adapter.send(str(alerts), Card("later"), "tb1")


async def test_sending_before_start_is_transient(core: Core, fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(core, config_for(fake))
    with pytest.raises(TransientDeliveryError):
        await adapter.send("123", Card("hello"), "tb1")


async def test_an_oversized_card_is_clipped_to_what_discord_accepts(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    fields = tuple(Field(f"field {n} " + "n" * 300, "v" * 2000, False) for n in range(40))
    card = Card("T" * 400, "d" * 5000, fields, footer="f" * 3000, tone=Tone.SURPRISE)
    await bot.adapter.send(str(alerts), card, "tb1")
    [posted] = bot.fake.sent_to(alerts)
    assert posted.status == 200  # the fake rejects what Discord would (400 50035)
    embed = embed_of(posted)
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")


async def test_the_fake_rejects_what_discord_would(bot: Bot) -> None:
    channel = bot.adapter.client.get_partial_messageable(bot.channel("alerts"))
    too_big = [
        {"content": "x" * 2001},
        {"embed": discord.Embed(title="t").add_field(name="n", value="v" * 1025)},
        {"embed": discord.Embed(description="d" * 4000).add_field(name="n", value="v" * 1000)
                  .add_field(name="n", value="v" * 1000).add_field(name="n", value="v" * 1000)},
        {"embed": discord.Embed(title="t").add_field(name="n", value=" ")},
    ]  # fmt: skip
    for kwargs in too_big:
        with pytest.raises(discord.HTTPException) as rejected:
            await channel.send(**kwargs)
        assert (rejected.value.status, rejected.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as rejected:
        await channel.send()
    assert (rejected.value.code, rejected.value.text) == (50006, "Cannot send an empty message")
    assert bot.fake.messages.get(bot.channel("alerts")) is None
    assert len(bot.fake.take_violations()) == 5  # each broke a documented limit


async def test_channel_rate_limit_headers_pace_sends_without_429(core: Core) -> None:
    limits = RateLimits(channel_messages=Limit(requests=2, per=0.2))
    async with FakeDiscord(rate_limits=limits) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()
        try:
            alerts = int(guild["channels"][1]["id"])
            for n in range(4):
                await adapter.send(str(alerts), Card(f"alert {n}"), f"tb{n}")
        finally:
            await adapter.close()
        assert [r.status for r in fake.sent_to(alerts)] == [200] * 4
        assert len(fake.messages[alerts]) == 4


async def test_paused_alerts_are_told_in_the_config_channel_once(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    await _queue_backtrace_alert(bot, alerts)  # configured from #general
    bot.fake.forbid(alerts)
    await _notifier(bot).drain()
    [notice] = bot.fake.sent_to(bot.channel("general"))
    embed = embed_of(notice)
    assert embed["title"] == "trendbot alerts are paused"
    assert "403" in embed["description"] and "/config channel" in embed["description"]
    await _notifier(bot).drain()  # nothing queued, nothing said again
    assert len(bot.fake.sent_to(bot.channel("general"))) == 1


async def test_paused_alerts_go_to_the_owner_when_the_config_channel_is_closed(bot: Bot) -> None:
    alerts, general = bot.channel("alerts"), bot.channel("general")
    await _queue_backtrace_alert(bot, alerts)
    bot.fake.forbid(alerts)
    bot.fake.forbid(general)
    await _notifier(bot).drain()
    [opened] = [r for r in bot.fake.requests if r.path == "/users/@me/channels"]
    assert str(opened.json["recipient_id"]) == bot.fake.owner["id"]
    guild_paths = {f"/channels/{alerts}/messages", f"/channels/{general}/messages"}
    dm_posts = [
        r
        for r in bot.fake.requests
        if r.method == "POST" and r.path.endswith("/messages") and r.path not in guild_paths
    ]
    assert [embed_of(r)["title"] for r in dm_posts] == ["trendbot alerts are paused"]


async def test_a_bundle_of_alerts_is_one_message_of_embeds(core: Core) -> None:
    async with FakeDiscord() as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()
        try:
            alerts = int(guild["channels"][1]["id"])
            cards = [Card(f"⚡ alert {n}", footer=f"week {n}") for n in range(3)]
            await adapter.send_bundle(guild["id"], str(alerts), cards, ["tb1", "tb2", "tb3"])
            assert await adapter.was_sent(str(alerts), "tb9", cards[2]) is True  # by its embed
        finally:
            await adapter.close()
        [message] = fake.messages[alerts]  # contract-checked against Discord's spec
        assert [e["title"] for e in message["embeds"]] == ["⚡ alert 0", "⚡ alert 1", "⚡ alert 2"]
