"""Exactly-once benchmark: `trendbot run` processes killed -9 mid-delivery lose and repeat nothing,
on PostgreSQL (several workers share the outbox) and on SQLite (one process per file).

Both sides are real: `python -m bot run` children against tests/fake_discord.py and
tests/fake_slack.py served from this process (their answers delayed 50 ms, so a kill leaves posts
in flight that the killed process never saw answered), 600 Discord guilds and 2,400 Slack
workspaces subscribed, one alert queued for each (3,000 in all).

- PostgreSQL (`exactly_once_postgres`): three `--role worker` processes; one of them is killed -9
  once a quarter of the alerts have arrived; the other two finish (its
  leases run out after 3 s, its Discord sender lock passes on).
- SQLite (`exactly_once`): one `--role all` process; a second `--role all` on the same file must
  refuse to start; the first is killed -9 once a quarter have arrived, and a fresh one finishes.

ratio = messages that arrived / alerts queued (goal 1: every alert exactly once); a lost alert,
a process's traceback or a second SQLite process that did not refuse is a flaw (FAIL).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bench.common import ROOT, Result, postgres_database
from bot.cards import Card
from bot.models import Alert, ChartKey
from bot.store import Store
from tests.e2e_support import NetflixPlayer, free_port, subscribe_ahead
from tests.fake_discord import FakeDiscord
from tests.fake_slack import SECRET, FakeSlack

GOAL = 1.0
GUILDS = 600
WORKSPACES = 2_400
ALERTS = GUILDS + WORKSPACES
KILL_AT = ALERTS // 4
TIMEOUT = 300.0  # seconds for every alert to arrive


class Children:
    """`python -m bot run` children sharing one config and database."""

    def __init__(self, tmp: Path, url: str, discord: FakeDiscord, slack: FakeSlack,
                 feed: str) -> None:  # fmt: skip
        self.tmp = tmp
        self.running: dict[str, asyncio.subprocess.Process] = {}
        q = json.dumps
        self.config = (
            f'log_level = "INFO"\n\n[netflix]\nurls = [{q(feed)}]\n'
            "refresh_every_seconds = 0.5\ntimeout_seconds = 30\n\n"
            "[alerts]\ndeliver_every_seconds = 0.5\nlease_seconds = 3\ndefault_threshold = 70\n\n"
            f"[discord]\napi_base = {q(discord.api_base)}\n"
            f"gateway_url = {q(discord.gateway_url)}\n\n"
            f'[slack]\nmode = "http"\napi_base = {q(slack.api_base)}\n\n'
            '[web]\nhost = "127.0.0.1"\nport = {port}\n'
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

    async def start(self, name: str, role: str) -> asyncio.subprocess.Process:
        config = self.tmp / f"{name}.toml"
        config.write_text(self.config.replace("{port}", str(free_port())), encoding="utf-8")
        with open(self.tmp / f"{name}.err", "wb") as err:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--role", role, "--config", str(config),
                cwd=self.tmp, env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        self.running[name] = child
        return child

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.err").read_text(errors="replace")

    async def kill(self, name: str) -> None:
        child = self.running[name]
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), 10)

    async def close(self) -> None:
        for child in self.running.values():
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(child.wait(), 20)
                except TimeoutError:
                    child.kill()
                    await child.wait()


async def until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


Plan = Callable[[Children, Callable[[], int], list[str]], Awaitable[None]]


async def deliver(name: str, url: str, plan: Plan) -> Result:
    """Queue one alert per subscribed channel, let `plan` run and kill children, then count
    what arrived in the fakes' message stores."""
    async with FakeDiscord() as discord:
        slack = await FakeSlack().start()
        try:
            store = await Store.open(url)
            try:
                made = await subscribe_ahead(
                    store, discord, guilds=GUILDS, workspaces=WORKSPACES, now=datetime.now(UTC)
                )
                alerts = [
                    Alert(platform, server, channel, ChartKey("US", "films"), date(2022, 6, 26),
                          "Backtrace", "surprise", Card("⚡ Surprise: Backtrace (2018)"))
                    for platform, server, channel in
                    [("discord", str(g["id"]), str(c)) for g, c in made.discord]
                    + [("slack", team, channel) for team, channel, _token in made.slack]
                ]  # fmt: skip
                queued = await store.enqueue(alerts, datetime.now(UTC))
            finally:
                await store.close()
            assert slack.members is not None  # the bot is in its channels: Slack can tell
            slack.members |= {channel for _team, channel, _token in made.slack}
            discord.message_delay = 0.05
            slack.delays["chat.postMessage"] = 0.05

            def arrived() -> int:
                return sum(discord.delivered().values()) + sum(slack.delivered().values())

            flaws: list[str] = []
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                async with NetflixPlayer(b"") as netflix:
                    children = Children(Path(tmp), url, discord, slack, netflix.global_url)
                    try:
                        await plan(children, arrived, flaws)
                        if not await until(lambda: arrived() >= queued, TIMEOUT):
                            flaws.append(f"only {arrived():,} arrived within {TIMEOUT:.0f} s")
                        seconds = time.perf_counter() - start
                        await asyncio.sleep(2)  # a late duplicate would show now
                    finally:
                        await children.close()
                    for child in children.running:
                        if "Traceback" in children.log(child):
                            flaws.append(f"a traceback in {child}'s log")
            counts = [*discord.delivered().values(), *slack.delivered().values()]
            duplicates = sum(n - 1 for n in counts if n > 1)
            lost = queued - len(counts)
            if duplicates:
                flaws.append(f"{duplicates} duplicates")
            if lost:
                flaws.append(f"{lost} lost")
            detail = (
                f"{arrived():,} messages for {queued:,} alerts ({len(made.discord):,} Discord, "
                f"{len(made.slack):,} Slack channels) in {seconds:.1f} s; one process killed -9 "
                f"after {KILL_AT:,} arrived; {duplicates} duplicates, {lost} lost"
            )
            return Result(name, arrived() / max(queued, 1), GOAL, detail=detail,
                          flaws=tuple(flaws))  # fmt: skip
        finally:
            await slack.close()


async def workers(children: Children, arrived: Callable[[], int], flaws: list[str]) -> None:
    """PostgreSQL: three workers share the outbox; one is killed -9 mid-delivery."""
    for name in ("w1", "w2", "w3"):
        await children.start(name, "worker")
    if not await until(lambda: arrived() >= KILL_AT, TIMEOUT):
        flaws.append(f"only {arrived():,} arrived before the kill")
    await children.kill("w2")


async def one_at_a_time(children: Children, arrived: Callable[[], int], flaws: list[str]) -> None:
    """SQLite: a second `--role all` refuses; the first is killed -9, a fresh one finishes."""
    await children.start("a1", "all")
    # a1 holds the file's lock once it serves; started together, a2 could take it first
    if not await until(lambda: "web server on" in children.log("a1"), TIMEOUT):
        flaws.append("the first process did not start serving")
    second = await children.start("a2", "all")
    try:
        code = await asyncio.wait_for(second.wait(), 60)
    except TimeoutError:
        code = None
    if code != 2 or "another `trendbot run`" not in children.log("a2"):
        flaws.append(f"a second process on the SQLite file did not refuse (exit {code})")
    if not await until(lambda: arrived() >= KILL_AT, TIMEOUT):
        flaws.append(f"only {arrived():,} arrived before the kill")
    await children.kill("a1")
    await children.start("a3", "all")


async def run_all() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "outbox.sqlite"
        results.append(await deliver("exactly_once", str(db), one_at_a_time))
    async with postgres_database() as (url, why):
        if url is None:
            results.append(Result("exactly_once_postgres", None, GOAL, detail=why))
        else:
            results.append(await deliver("exactly_once_postgres", url, workers))
    return results


def main() -> None:
    results = asyncio.run(run_all())
    for result in results:
        print(result.line(), flush=True)
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
