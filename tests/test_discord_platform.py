"""Discord's documented behaviour, modelled by tests/fake_discord.py, and how the adapter copes:
sharding (GET /gateway/bot, 4011, identify pacing), op 9, heartbeats, nonce expiry, permissions,
15-minute interaction tokens, closed DMs, the invalid-request ban and long rate limits on sync."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import aiohttp
import discord
import pytest

from adapters.discord_adapter import PERMISSIONS, DiscordAdapter, invite_url
from adapters.discord_gateway import IdentifyGate, InvalidRequestGuard, ShardPlan
from bot.cards import Card
from bot.core import Core
from bot.desk import Desk
from bot.errors import ChannelUnavailable, ConfigError, RateLimited
from tests import discord_payloads as p
from tests import test_discord_adapter as base
from tests.fake_discord import FakeDiscord
from tests.fakes import FakeSleep
from tests.test_discord_adapter import Bot, config_for, embed_of, eventually

# the fixtures of the adapter's own tests: a started bot on a fresh fake, and no ERROR logs
quiet_logs, fake, bot = base.quiet_logs, base.fake, base.bot

# ---- sharding and the gateway ---------------------------------------------------------------


async def test_shard_count_comes_from_gateway_bot_so_no_4011(core: Core) -> None:
    async with FakeDiscord(recommended_shards=2, guilds_per_shard=1) as fake:
        guilds = [fake.create_guild(f"Server {n}") for n in range(2)]
        assert {(int(g["id"]) >> 22) % 2 for g in guilds} == {0, 1}
        time_ = FakeSleep()
        fake.clock = time_.monotonic
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()
        try:
            assert any(r.path == "/gateway/bot" for r in fake.requests)
            assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
            assert adapter.plan == ShardPlan(2, (0, 1), 1)
            assert adapter.connected and len(adapter.client.guilds) == 2
        finally:
            await adapter.close()


async def test_too_many_guilds_on_one_shard_is_refused_with_4011(core: Core) -> None:
    async with FakeDiscord(guilds_per_shard=1) as fake:  # a configured count still wins
        fake.create_guild("A")
        fake.create_guild("B")
        adapter = DiscordAdapter(core, config_for(fake, shard_count=1), guild_ready_timeout=0.05)
        with pytest.raises(ConfigError, match="4011"):
            await adapter.start()
        assert not adapter.connected


async def test_identifies_are_paced_per_max_concurrency_bucket(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord(max_concurrency=2, clock=time_.monotonic) as fake:
        adapter = DiscordAdapter(core, config_for(fake, shard_count=4), guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()
        try:
            assert len(fake.identifies) == 4 and fake.invalid_sessions == 0
            assert time_.sleeps == [5.0]  # shards 0,1 at once; 2,3 one 5-second round later
        finally:
            await adapter.close()


async def test_a_gateway_role_runs_only_its_shard_ids(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord(clock=time_.monotonic) as fake:
        config = config_for(fake, shard_count=4)
        adapter = DiscordAdapter(core, config, shard_ids=[2, 3], guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()
        try:
            assert sorted(i["shard"] for i in fake.identifies) == [[2, 4], [3, 4]]
        finally:
            await adapter.close()
        with pytest.raises(ConfigError, match="shard_count"):
            DiscordAdapter(core, config_for(fake), shard_ids=[0])


async def test_gateway_processes_pace_their_identifies_through_the_database(core: Core) -> None:
    time_ = FakeSleep()
    # the desk's clock is the fake's: both "processes" read one time, as real ones read UTC
    core.desk = Desk(core.store, lambda: datetime.fromtimestamp(time_.now, UTC))
    async with FakeDiscord(clock=time_.monotonic) as fake:
        config = config_for(fake, shard_count=2)
        gateways = [
            DiscordAdapter(
                core,
                config,
                shard_ids=[shard],
                guild_ready_timeout=0.05,
                monotonic=time_.monotonic,
                sleep=time_,
            )  # fmt: skip
            for shard in (0, 1)
        ]  # each with its own in-process gate, as two processes would have
        await asyncio.gather(*(gateway.start() for gateway in gateways))
        try:
            assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
            assert fake.invalid_sessions == 0  # one bucket: the second waited its 5 s
            assert time_.sleeps == [5.0]
        finally:
            await asyncio.gather(*(gateway.close() for gateway in gateways))


async def test_identifying_too_fast_gets_op_9_from_the_fake() -> None:
    async with FakeDiscord(clock=lambda: 0.0) as fake, aiohttp.ClientSession() as http:
        frames = []
        for shard in (0, 1):
            async with http.ws_connect(fake.gateway_url) as ws:
                await ws.receive_json()  # HELLO
                identify = {"token": fake.token, "intents": 1, "shard": [shard, 2],
                            "properties": {}}  # fmt: skip
                await ws.send_json({"op": 2, "d": identify})
                frames.append(await ws.receive_json())
        assert [f["op"] for f in frames] == [0, 9]  # READY, then Invalid Session
        assert frames[1]["d"] is False and fake.invalid_sessions == 1


def test_readiness_grows_with_identify_rounds_and_the_gate_reserves_slots() -> None:
    plan = ShardPlan.decide(64, 16, None, None)
    assert plan.ready_timeout(60.0) == 60.0 + 5.0 * 4
    assert ShardPlan.decide(64, 1, 8, [6, 7]).shard_ids == (6, 7)
    time_ = FakeSleep()
    gate = IdentifyGate(2, monotonic=time_.monotonic, sleep=time_)

    async def identify_all() -> None:
        await asyncio.gather(*(gate.wait(n) for n in range(6)))

    asyncio.run(identify_all())
    assert time_.now - 1000.0 == 10.0  # six shards, two buckets: three rounds, 5 s apart


async def test_an_unreachable_gateway_times_out_and_closes_without_hanging(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeDiscord() as fake:
        config = config_for(fake, gateway_url=fake.gateway_url.replace("/gateway", "/nowhere"))
        adapter = DiscordAdapter(core, config, ready_timeout=0.5, identify_interval=0.0)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="not ready after 0.5 s"):
            await adapter.start()
        assert time.monotonic() - started < 5.0 and not adapter.connected
    assert "Failed to connect for shard_id: 0" in caplog.text  # discord.py's own retry, ended
    caplog.clear()


async def test_op_9_invalid_session_reidentifies_and_keeps_working(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord(clock=time_.monotonic) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()
        try:
            await fake.invalidate_session(resumable=False)
            await eventually(lambda: len(fake.identifies) == 2 and adapter.connected)
            assert fake.invalid_sessions == 1  # the second IDENTIFY waited its 5 s: no op 9
            reply = await (await fake.command("help", guild=guild)).response()
            assert reply.json["type"] == 4
        finally:
            await adapter.close()


async def test_a_heartbeat_request_is_answered_at_once(bot: Bot) -> None:
    await bot.fake.request_heartbeat()  # returns only once the client heartbeated


async def test_missed_heartbeat_acks_reconnect_and_resume(core: Core) -> None:
    async with FakeDiscord(heartbeat_interval=0.05) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 heartbeat_timeout=0.3)  # fmt: skip
        await adapter.start()
        try:
            fake.ack_heartbeats = False  # a zombied connection: beats go out, no ACK comes
            await eventually(lambda: len(fake.resumes) >= 1)
            fake.ack_heartbeats = True
            assert len(fake.identifies) == 1  # resumed, not a new session
            reply = await (await fake.command("help", guild=guild)).response()
            assert reply.json["type"] == 4
        finally:
            await adapter.close()


# ---- messages -------------------------------------------------------------------------------


async def test_a_repeated_nonce_is_dropped_only_for_a_few_minutes(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord(clock=time_.monotonic) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()
        try:
            alerts = int(guild["channels"][1]["id"])
            card = Card("Twice?", "the same alert after a crash")
            await adapter.send(str(alerts), card, "tb7")
            await adapter.send(str(alerts), card, "tb7")
            assert len(fake.messages[alerts]) == 1
            time_.now += 301  # past "the past few minutes"
            await adapter.send(str(alerts), card, "tb7")
            assert len(fake.messages[alerts]) == 2  # why a late retry must ask was_sent first
        finally:
            await adapter.close()


async def test_was_sent_finds_the_alert_among_recent_messages(bot: Bot, caplog) -> None:
    alerts = bot.channel("alerts")
    card, other = Card("⚡ Surprise: Backtrace", "x", footer="week ending 2022-06-26"), Card("B")
    await bot.adapter.send(str(alerts), card, "tb41")
    assert await bot.adapter.was_sent(str(alerts), "tb41", card) is True
    assert await bot.adapter.was_sent(str(alerts), "tb42", other) is False
    history = [r for r in bot.fake.requests if r.method == "GET" and "messages" in r.path]
    assert history[0].query["limit"] == "50"
    deny = p.overwrite(bot.guild_id, deny=p.READ_MESSAGE_HISTORY)
    bot.fake.channels[alerts]["permission_overwrites"].append(deny)
    caplog.set_level(logging.INFO)
    assert await bot.adapter.was_sent(str(alerts), "tb42", other) is True  # cannot tell
    assert "recorded as sent, not repeated" in caplog.text


async def test_a_reply_needs_read_message_history(bot: Bot) -> None:
    general = bot.channel("general")
    deny = p.overwrite(bot.guild_id, deny=p.READ_MESSAGE_HISTORY)
    channel = bot.adapter.client.get_partial_messageable(general)
    bot.fake.channels[general]["permission_overwrites"].append(deny)
    question = await bot.fake.say("hi", guild=bot.guild)  # not to the bot: it stays quiet
    reference = discord.MessageReference(message_id=int(question["id"]), channel_id=general)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("a reply", reference=reference)
    assert refused.value.code == 160002
    # the adapter, knowing the permission is missing, answers without the reference
    guild = bot.adapter.client.get_guild(bot.guild_id)
    assert guild is not None
    overwrite = discord.PermissionOverwrite(read_message_history=False)
    text_channel = guild.get_channel(general)
    assert isinstance(text_channel, discord.TextChannel)
    text_channel._overwrites = [
        discord.abc._Overwrites(  # the cache as CHANNEL_UPDATE leaves it
            {"id": guild.id, "type": 0, "allow": "0", "deny": str(overwrite.pair()[1].value)}
        )
    ]
    await bot.fake.say("should I watch Backtrace?", guild=bot.guild, mention_bot=True)
    [answer] = await bot.fake.wait_for(
        lambda r: r.path == f"/channels/{general}/messages" and r.status == 200, timeout=15
    )
    assert "message_reference" not in answer.json
    assert embed_of(answer)["title"] == "Should you watch Backtrace (2018)?"


async def test_alerts_need_embed_links_and_the_fake_drops_embeds_without_it(bot: Bot) -> None:
    alerts = bot.channel("alerts")
    guild = bot.adapter.client.get_guild(bot.guild_id)
    assert guild is not None
    text_channel = guild.get_channel(alerts)
    assert isinstance(text_channel, discord.TextChannel)
    text_channel._overwrites = [discord.abc._Overwrites(
        {"id": guild.id, "type": 0, "allow": "0", "deny": str(p.EMBED_LINKS)})]  # fmt: skip
    with pytest.raises(ChannelUnavailable, match="Embed Links"):
        await bot.adapter.send_to(str(bot.guild_id), str(alerts), Card("alert"), "tb1")
    assert bot.fake.sent_to(alerts) == []
    bot.fake.channels[alerts]["permission_overwrites"].append(
        p.overwrite(bot.guild_id, deny=p.EMBED_LINKS)
    )
    channel = bot.adapter.client.get_partial_messageable(alerts)
    await channel.send("text", embed=discord.Embed(title="dropped"))
    [stored] = bot.fake.messages[alerts]
    assert stored["embeds"] == [] and stored["content"] == "text"


def test_the_invite_asks_for_what_replies_and_alerts_need() -> None:
    assert PERMISSIONS.value == (
        p.VIEW_CHANNEL | p.SEND_MESSAGES | p.EMBED_LINKS | p.ATTACH_FILES | p.READ_MESSAGE_HISTORY
    )
    url = invite_url(1234)
    assert "client_id=1234" in url and f"permissions={PERMISSIONS.value}" in url
    assert "scope=bot+applications.commands" in url


async def test_the_invite_url_is_logged_at_start(core: Core, fake: FakeDiscord, caplog) -> None:
    caplog.set_level(logging.INFO)
    adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
    await adapter.start()
    await adapter.close()
    assert f"permissions={PERMISSIONS.value}" in caplog.text


# ---- interactions -----------------------------------------------------------------------------


async def test_interaction_tokens_expire_after_15_minutes(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord(clock=time_.monotonic) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05)
        await adapter.start()
        try:
            handle = await fake.command("trending", {"region": "US"}, guild=guild)
            [edit] = await handle.answers()
            assert edit.method == "PATCH" and edit.status == 200  # edit-original, no followup
            time_.now += 900
            url = f"{fake.api_base}/webhooks/{fake.app_id}/{handle.token}/messages/@original"
            async with (
                aiohttp.ClientSession() as http,
                http.patch(url, json={"content": "late"}) as r,
            ):
                assert r.status == 401 and (await r.json())["code"] == 50027
        finally:
            await adapter.close()


async def test_a_followup_after_a_defer_breaks_the_contract(bot: Bot) -> None:
    handle = await bot.fake.command("trending", {"region": "US"}, guild=bot.guild)
    await handle.answers()
    bot.fake.interactions[handle.token].loading = True  # as if the edit had not happened
    url = f"{bot.fake.api_base}/webhooks/{bot.fake.app_id}/{handle.token}"
    async with aiohttp.ClientSession() as http, http.post(url, json={"content": "x"}) as r:
        assert r.status in (200, 204)
    [found] = bot.fake.take_violations()
    assert "edit the original response instead" in found


async def test_a_closed_dm_is_logged_not_raised(bot: Bot, caplog) -> None:
    bot.fake.closed_dms.add(int(bot.fake.owner["id"]))
    caplog.set_level(logging.INFO)
    await bot.adapter.notify_admins(str(bot.guild_id), Card("paused"))
    dms = [r for r in bot.fake.requests if r.status == 403]
    assert dms and "50007" in caplog.text


# ---- rate limits --------------------------------------------------------------------------------


async def test_sends_pause_before_the_invalid_request_ban(core: Core) -> None:
    async with FakeDiscord(invalid_limit=10) as fake:
        guild = fake.create_guild()
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 invalid_limit=10)  # fmt: skip
        await adapter.start()
        try:
            alerts = int(guild["channels"][1]["id"])
            fake.forbid(alerts)  # the client's cache does not know: every send is a 403
            for n in range(8):
                with pytest.raises(ChannelUnavailable):
                    await adapter.send(str(alerts), Card("x"), f"tb{n}")
            with pytest.raises(RateLimited) as paused:
                await adapter.send(str(alerts), Card("x"), "tb9")
            assert 590 < paused.value.retry_after <= 600
            assert fake.invalid_requests == 8 and fake.banned_until < 0  # never banned
        finally:
            await adapter.close()


async def test_the_fake_bans_after_too_many_invalid_requests(bot: Bot) -> None:
    bot.fake.invalid_limit = 3
    alerts = bot.channel("alerts")
    bot.fake.forbid(alerts)
    for n in range(3):
        with pytest.raises(ChannelUnavailable):
            await bot.adapter.send(str(alerts), Card("x"), f"tb{n}")
    with pytest.raises(RateLimited) as banned:  # Cloudflare's 429: no Via, not retried in place
        await bot.adapter.send(str(alerts), Card("x"), "tb3")
    assert banned.value.retry_after == 3600


def test_the_guard_ignores_shared_429s_and_forgets_after_ten_minutes() -> None:
    now = [0.0]
    guard = InvalidRequestGuard(10, clock=lambda: now[0])
    for _ in range(20):
        guard.record(429, "shared")
        guard.record(200)
    assert guard.pause() == 0
    for _ in range(8):
        guard.record(403)
    assert guard.pause() == 600
    now[0] = 600.0
    assert guard.pause() == 0


async def test_a_long_rate_limit_on_command_sync_does_not_stop_the_bot(core: Core) -> None:
    time_ = FakeSleep()
    async with FakeDiscord() as fake:
        fake.fail("PUT", r"/applications/\d+/commands", 429, retry_after=120)
        adapter = DiscordAdapter(core, config_for(fake), guild_ready_timeout=0.05,
                                 monotonic=time_.monotonic, sleep=time_)  # fmt: skip
        await adapter.start()  # no crash loop: the bot runs on Discord's current commands
        try:
            assert adapter.connected
            await eventually(lambda: None in fake.commands)  # synced once the wait was over
            syncs = [r.status for r in fake.requests if r.method == "PUT"]
            assert syncs == [429, 200] and 120 in time_.sleeps
        finally:
            await adapter.close()
