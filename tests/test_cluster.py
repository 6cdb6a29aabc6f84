"""Several `trendbot run --role worker` processes on one real PostgreSQL (marker `cluster`), against
the fake Discord and fake Slack: a worker killed -9 mid-delivery loses and repeats nothing, and a
refresh leader killed -9 mid-ingest leaves the week to be stored once by another worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cards import Card
from bot.models import Alert, ChartKey
from bot.store import Store
from tests.conftest import SHARED, needs_shared
from tests.e2e_support import NetflixPlayer, eventually, free_port, subscribe_ahead
from tests.fake_discord import FakeDiscord
from tests.fake_slack import SECRET, FakeSlack

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[1]
FULL = SHARED / "netflix" / "all-weeks-countries_2021-07-04_to_2022-11-13.tsv"


class Workers:
    """`python -m bot run --role worker` children sharing one config and database."""

    def __init__(self, tmp: Path, url: str, discord: FakeDiscord, slack: FakeSlack,
                 feeds: list[str]) -> None:  # fmt: skip
        self.tmp = tmp
        self.children: dict[str, asyncio.subprocess.Process] = {}
        q = json.dumps
        self.config = tmp / "cluster.toml"
        self.config.write_text(
            'log_level = "INFO"\n\n[netflix]\n'
            f"urls = [{', '.join(q(u) for u in feeds)}]\n"
            "refresh_every_seconds = 0.5\ntimeout_seconds = 30\n\n"
            "[alerts]\ndeliver_every_seconds = 0.5\nlease_seconds = 3\ndefault_threshold = 70\n\n"
            f"[discord]\napi_base = {q(discord.api_base)}\n"
            f"gateway_url = {q(discord.gateway_url)}\n\n"
            f'[slack]\nmode = "http"\napi_base = {q(slack.api_base)}\n\n'
            '[web]\nhost = "127.0.0.1"\nport = 0\n',
            encoding="utf-8",
        )
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp),
            "MPLCONFIGDIR": str(tmp / "mpl"),
            "TRENDBOT_DB": url,
            "DISCORD_TOKEN": discord.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "client-secret",
        }

    async def start(self, name: str) -> asyncio.subprocess.Process:
        config = self.tmp / f"{name}.toml"
        config.write_text(
            self.config.read_text().replace("port = 0", f"port = {free_port()}"), encoding="utf-8"
        )
        with open(self.tmp / f"{name}.err", "wb") as err:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--role", "worker", "--config", str(config),
                cwd=self.tmp, env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        self.children[name] = child
        return child

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.err").read_text(errors="replace")

    async def kill(self, name: str) -> None:
        child = self.children[name]
        child.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 10) == -signal.SIGKILL

    async def close(self) -> None:
        for child in self.children.values():
            if child.returncode is None:
                child.kill()
                await asyncio.wait_for(child.wait(), 10)


@asynccontextmanager
async def workers(
    tmp: Path, url: str, discord: FakeDiscord, slack: FakeSlack, feeds: list[str]
) -> AsyncIterator[Workers]:
    running = Workers(tmp, url, discord, slack, feeds)
    try:
        yield running
    finally:
        await running.close()


async def test_three_workers_deliver_2000_alerts_exactly_once_though_one_is_killed(
    tmp_path: Path, pg_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    store = await Store.open(pg_url)
    try:
        made = await subscribe_ahead(
            store, fake_discord, guilds=400, workspaces=1600, now=datetime.now(UTC)
        )
        alerts = [
            Alert(platform, server, channel, ChartKey("US", "films"), date(2022, 6, 26),
                  "Backtrace", "surprise", Card("⚡ Surprise: Backtrace (2018)"))
            for platform, server, channel in
            [("discord", str(g["id"]), str(c)) for g, c in made.discord]
            + [("slack", team, channel) for team, channel, _token in made.slack]
        ]  # fmt: skip
        assert await store.enqueue(alerts, datetime.now(UTC)) == 2000
    finally:
        await store.close()
    # the bot was invited to its Slack channels, so after a crash it can read whether an alert
    # already arrived (elsewhere Slack cannot tell, and such an alert is recorded, not repeated)
    assert fake_slack.members is not None
    fake_slack.members |= {channel for _team, channel, _token in made.slack}
    # answers come back slowly: a kill leaves posts the worker never saw answered
    fake_discord.message_delay = 0.05
    fake_slack.delays["chat.postMessage"] = 0.05
    async with (
        NetflixPlayer(b"") as netflix,
        workers(tmp_path, pg_url, fake_discord, fake_slack, [netflix.global_url]) as cluster,
    ):
        for name in ("w1", "w2", "w3"):
            await cluster.start(name)

        def total() -> int:
            return sum(fake_discord.delivered().values()) + sum(fake_slack.delivered().values())

        await eventually(lambda: total() >= 400, timeout=60, what="deliveries under way")
        await cluster.kill("w2")
        await eventually(lambda: total() >= 2000, timeout=120, what="every alert delivered")
        store = await Store.open(pg_url)
        try:
            await eventually(
                lambda: _counts(store, {"sent": 2000}), timeout=30, what="all marked sent"
            )
        finally:
            await store.close()
        assert set(fake_discord.delivered().values()) == {1}
        assert len(fake_discord.delivered()) == 400
        assert set(fake_slack.delivered().values()) == {1}
        assert len(fake_slack.delivered()) == 1600
        for name in ("w1", "w3"):
            assert "Traceback" not in cluster.log(name), cluster.log(name)


async def _counts(store: Store, expected: dict[str, int]) -> bool:
    return await store.outbox_counts() == expected


@needs_shared
async def test_a_refresh_leader_killed_mid_ingest_leaves_the_week_to_another_worker(
    tmp_path: Path, pg_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    import asyncpg

    body = FULL.read_bytes()
    async with (
        NetflixPlayer(body) as netflix,
        workers(tmp_path, pg_url, fake_discord, fake_slack, [netflix.countries_url]) as cluster,
    ):
        await cluster.start("leader")
        conn = await asyncpg.connect(pg_url)
        try:

            async def inserting() -> bool:
                found = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                    "'INSERT INTO chart_entries%' AND state = 'active'"
                )
                return bool(found)

            await eventually(inserting, timeout=60, what="the leader writing rows")
            await cluster.start("second")
            await cluster.kill("leader")
            assert await conn.fetchval("SELECT count(*) FROM charts") == 0  # rolled back whole

            async def stored() -> bool:
                return bool(await conn.fetchval("SELECT count(*) FROM charts WHERE week = "
                                                "'2022-11-13'") == 186)  # fmt: skip

            await eventually(stored, timeout=120, what="the week stored by the second worker")
            lists = await conn.fetchval("SELECT count(*) FROM charts")
            rows = await conn.fetchval("SELECT count(*) FROM chart_entries")
            keys = await conn.fetchval(
                "SELECT count(*) FROM (SELECT DISTINCT region, category, week FROM charts) k"
            )
        finally:
            await conn.close()
    assert lists == keys and rows == lists * 10  # each list stored once, whole
