"""Slack throughput benchmark: signed `/trending` slash commands per second over loopback.

The bot side (this process): the real SlackAdapter in HTTP mode over a real Core holding the bundled
weeks, its `web_app()` served by aiohttp on 127.0.0.1 as `trendbot run` serves it. Slack's side (a
child process, so that on 2 cores it neither shares the bot's core nor its event loop): an aiohttp
client holding 200 signed commands in flight, plus the fake Slack that answers go to.

The core is warmed up as the service warms it (bot.service.warm_up) after the cold phase.

Floor: the same adapter class served the same way, whose `/trending` listener only acks. It runs the
identical path up to the listener (aiohttp, signature check, AsyncBoltRequest, Bolt's middleware
and listener matching), so the ratio is the price of trendbot's own work after the ack: the admin
lookup, `Core.run_text`, Block Kit and delivering the answer.

Ours counts a command once it is answered, in the ack's body or by a post to its response_url
(counting acks alone would let unanswered work pile up behind fast acks); the floor counts acks.
Each phase sends 5,000 commands or runs 20 s, whichever comes first; the best of two alternating
rounds counts. A cold phase first (20 concurrent commands to a freshly started core) is reported,
not rated. Goal: ratio >= 0.7, and every command acked and answered.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil  # type: ignore[import-untyped]
from aiohttp import web

from adapters.slack_adapter import SlackAdapter
from bench.common import ROOT, ChildSide, Result, main
from bot.__main__ import build_core
from bot.config import Config, SlackConfig
from bot.demo import BUNDLED_CHARTS
from bot.service import warm_up
from bot.sources.netflix import parse_top10
from bot.store import Store

GOAL = 0.7
CONCURRENCY = 200
MAX_REQUESTS = 5_000
MAX_SECONDS = 20.0
COLD = 20  # concurrent first commands to a core that has analysed nothing yet
WARMUP = 300
ROUNDS = 2
SECRET = "test-signing-secret"  # tests/fake_slack.py's
TEXTS = ("US films", "US tv", "GB films", "GB tv", "FR films", "DE tv", "JP tv", "BR films",
         "IN films", "KR tv", "MX tv", "ES films")  # fmt: skip


@dataclass(frozen=True)
class Phase:
    """What Slack's side measured for one phase (times from the first send)."""

    sent: int
    acked: int  # 200 responses
    answered: int  # acks carrying the answer + answers posted to response_url
    ack_seconds: float  # until the last ack
    done_seconds: float  # until the last answer (acks only: the last ack)
    p50_ms: float  # ack latency
    p99_ms: float
    rejected: int  # answers the fake Slack refused (Block Kit limits)
    answers: bool  # whether answers count (ours) or acks (the floor)
    bot_cpu: float = 0.0  # CPU seconds the bot's process used, per wall second
    slack_cpu: float = 0.0

    @property
    def rate(self) -> float:
        """Completed commands per second: answered when answers count, else acked."""
        done = self.answered if self.answers else self.acked
        return done / self.done_seconds if self.done_seconds > 0 else 0.0

    @property
    def ack_rate(self) -> float:
        return self.acked / self.ack_seconds if self.ack_seconds > 0 else 0.0


# ---- Slack's side (the child process) -----------------------------------------------------------


async def _load(
    fake: Any, url: str, requests: int, seconds: float, concurrency: int, answers: bool
) -> Phase:
    """Send signed commands `concurrency` at a time; with `answers`, wait for every answer."""
    from tests.fake_slack import ADMIN, MEMBER, OWNER, command, form_body, signed_headers

    stamp = int(time.time())  # Slack's window is 300 s, longer than any phase

    def signed(n: int) -> tuple[bytes, dict[str, str]]:
        # each command has its own response_url, as Slack's do (5 answers each at most)
        payload = command(
            "/trending",
            TEXTS[n % len(TEXTS)],
            user=(ADMIN, OWNER, MEMBER)[n % 3],
            channel=f"C{n % 36:04d}",
            response_url=fake.url(f"/respond/c{n}"),
        )
        body = form_body(payload)
        return body, signed_headers(body, stamp, form=True)

    fake.calls.clear()
    fake.problems.clear()
    latencies: list[float] = []
    sent = acked = in_ack = 0
    last_ack = 0.0
    start = time.perf_counter()
    deadline = start + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal sent, acked, in_ack, last_ack
            while sent < requests and time.perf_counter() < deadline:
                body, headers = signed(sent)
                sent += 1
                began = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        reply = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    continue  # not acked
                if status == 200:
                    last_ack = time.perf_counter()
                    latencies.append(last_ack - began)
                    acked += 1
                    in_ack += b'"blocks"' in reply  # answered in the ack itself

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finished = last_ack
    posted = seen = 0
    give_up = time.perf_counter() + (60 if answers else 0)
    while True:
        calls = fake.calls
        posted += sum(1 for call in calls[seen:] if call.method == "respond")
        seen = len(calls)
        if in_ack + posted >= acked or time.perf_counter() >= give_up:
            break
        await asyncio.sleep(0.005)
    if answers:
        finished = time.perf_counter()
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[int(q * (len(latencies) - 1))] * 1000 if latencies else 0.0

    answered = in_ack + posted  # for the floor: 0, unless its listener does answer
    return Phase(sent, acked, answered, last_ack - start, finished - start, quantile(0.5),
                 quantile(0.99), len(fake.problems), answers)  # fmt: skip


async def slack_side() -> None:
    """Serve the fake Slack and run load phases on request (JSON lines on stdin and stdout)."""
    from tests.fake_slack import FakeSlack

    fake = await FakeSlack().start()
    try:
        print(json.dumps({"api_base": fake.api_base}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            phase = await _load(fake, **json.loads(line))
            print(json.dumps(asdict(phase)), flush=True)
    finally:
        await fake.close()


class SlackSide(ChildSide):
    """The child process playing Slack, driven over its stdin and stdout."""

    name = "Slack"
    read_timeout = 300.0

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        super().__init__(process)
        self.ps = psutil.Process(process.pid)

    @classmethod
    async def start(cls) -> tuple[SlackSide, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.slack_throughput", "--side",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        side = cls(process)
        hello = await side._read()
        return side, str(hello["api_base"])

    async def phase(
        self, url: str, requests: int, *, answers: bool, concurrency: int = CONCURRENCY
    ) -> Phase:
        order = {"url": url, "requests": requests, "seconds": MAX_SECONDS,
                 "concurrency": concurrency, "answers": answers}  # fmt: skip
        assert self.process.stdin is not None
        bot, slack = psutil.Process(), self.ps
        before = (_cpu(bot), _cpu(slack), time.perf_counter())
        self.process.stdin.write(json.dumps(order).encode() + b"\n")
        await self.process.stdin.drain()
        found = await self._read()
        wall = time.perf_counter() - before[2]
        found["bot_cpu"] = (_cpu(bot) - before[0]) / wall
        found["slack_cpu"] = (_cpu(slack) - before[1]) / wall
        return Phase(**found)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


# ---- the bot's side -----------------------------------------------------------------------------


class AckOnly(SlackAdapter):
    """The floor: everything the adapter does up to its listener, which then only acks."""

    async def _on_command(self, ack: Any) -> None:  # type: ignore[override]
        await ack()


async def bundled_db(path: Path) -> None:
    """The bundled weeks (2022-05-01 … 2022-08-28) in a fresh database, as the tests build it."""
    store = await Store.open(path)
    try:
        for tsv in BUNDLED_CHARTS:
            charts = parse_top10(tsv.read_bytes(), tsv.name)
            await store.save_charts(charts, tsv.name, datetime(2022, 9, 1, tzinfo=UTC))
    finally:
        await store.close()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)  # as bot/service.py serves it
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/slack/events"


@dataclass(frozen=True)
class Measured:
    ours: Phase
    floor: Phase
    cold: Phase


async def measure(db: Path) -> Measured:
    side, api_base = await SlackSide.start()
    store = await Store.open(db)
    runners: list[web.AppRunner] = []
    adapters: dict[str, SlackAdapter] = {}
    try:
        core = build_core(store, Config(), reviews=[])
        config = SlackConfig(mode="http", signing_secret=SECRET, bot_token="xoxb-test",
                             api_base=api_base)  # fmt: skip
        urls = {}
        adapters = {"ours": SlackAdapter(core, config), "floor": AckOnly(core, config)}
        for name, adapter in adapters.items():
            runner, urls[name] = await serve(adapter.web_app())
            runners.append(runner)
        cold = await side.phase(urls["ours"], COLD, answers=True, concurrency=COLD)
        # what `trendbot run` does beside its first requests: the newest weeks analysed, then
        # the long-lived objects moved out of the garbage collector's way (gc.freeze)
        await warm_up(core)
        for name in urls:
            await side.phase(urls[name], WARMUP, answers=name == "ours")
        best: dict[str, Phase] = {}
        for _ in range(ROUNDS):
            for name in ("floor", "ours"):
                got = await side.phase(urls[name], MAX_REQUESTS, answers=name == "ours")
                if name == "floor" and got.answered:
                    raise RuntimeError("the floor answered: AckOnly no longer replaces it")
                if name not in best or got.rate > best[name].rate:
                    best[name] = got
        return Measured(best["ours"], best["floor"], cold)
    finally:
        for runner in runners:
            await runner.cleanup()
        for adapter in adapters.values():
            await adapter.close()
        await store.close()
        await side.close()


def run() -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bundled.sqlite"
        asyncio.run(bundled_db(db))
        found = asyncio.run(measure(db))
    ours, floor, cold = found.ours, found.floor, found.cold
    flaws = [f"{ours.sent - ours.acked} not acked"] if ours.acked < ours.sent else []
    lost = ours.acked - ours.answered
    flaws += [f"{lost} acked but never answered"] if lost else []
    flaws += [f"{ours.rejected} answers refused by Slack"] if ours.rejected else []
    detail = (
        f"ours {ours.rate:.0f}/s answered (acks {ours.ack_rate:.0f}/s, ack p50 "
        f"{ours.p50_ms:.0f} ms p99 {ours.p99_ms:.0f} ms, bot CPU {ours.bot_cpu:.0%}, Slack side "
        f"{ours.slack_cpu:.0%}), floor {floor.rate:.0f}/s acked (p99 {floor.p99_ms:.0f} ms); "
        f"{ours.sent:,} commands a round; cold start: {COLD} concurrent first commands "
        f"answered in {cold.done_seconds:.1f} s"
    )
    ratio = ours.rate / floor.rate if floor.rate else 0.0
    return Result("slack_throughput", ratio, GOAL, False, detail, tuple(flaws))


if __name__ == "__main__":
    main("slack_throughput", run, slack_side)
