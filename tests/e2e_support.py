"""What the end-to-end tests of `trendbot run` share (tests/test_service.py in-process,
tests/test_run_e2e.py as a subprocess): a local Netflix that publishes week after week and breaks
the way Netflix's files once broke (and stamps Last-Modified), subscriptions made ahead of a
start, a wall clock the test may move forward, Prometheus text parsing, and bounded polling."""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack_install import StoreInstallationStore
from bot.core import Core
from bot.models import CATEGORIES, ServerSettings
from bot.store import Store
from tests import discord_payloads as p
from tests.fake_discord import FakeDiscord

DATA = Path(__file__).resolve().parent / "data" / "netflix"
COUNTRIES = DATA / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
NULL = (DATA / "all-weeks-countries_null_2023-12-17.tsv").read_bytes()
STUB = (DATA / "all-weeks-countries_moved-permanently_2023-06-01.tsv").read_bytes()
WEEK_N = "2022-06-19"  # no US surprise in the newest week
WEEK_N1 = "2022-06-26"  # Backtrace enters the US films top 10 at #8: the one surprise
BACKTRACE = "⚡ Surprise in United States · Films: Backtrace (2018)"

_T = TypeVar("_T")


def until(week: str) -> bytes:
    """The countries file as Netflix would have served it once `week` was published."""
    lines = COUNTRIES.read_text(encoding="utf-8").split("\n")
    return "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split("\t")[2] <= week]).encode()


class NetflixPlayer:
    """Netflix's Top 10 download site on 127.0.0.1.

    The countries file has an ETag per published version (304 when unchanged) and, when published
    `at` a time, that time as its Last-Modified; `move()` makes it answer a real 301 to an HTML
    "Moved Permanently" page, as Netflix once did. The global file's URL has moved for good (301
    to the same page). `answers` records (time by `clock`, status) of each countries request."""

    COUNTRIES_PATH = "/tudum/top10/data/all-weeks-countries.tsv"
    GLOBAL_PATH = "/tudum/top10/data/all-weeks-global.tsv"
    MOVED_PATH = "/tudum/top10/moved"

    def __init__(
        self,
        body: bytes,
        at: datetime | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.body = body
        self.version = 1
        self.moved = False
        self.requests = 0  # to the countries file
        self.last_modified = format_datetime(at, usegmt=True) if at else None
        self.clock = clock
        self.answers: list[tuple[datetime, int]] = []
        app = web.Application()
        app.router.add_get(self.COUNTRIES_PATH, self._countries)
        app.router.add_get(self.GLOBAL_PATH, self._redirect)
        app.router.add_get(self.MOVED_PATH, self._stub)
        self._server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> NetflixPlayer:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    def url(self, path: str) -> str:
        return str(self._server.make_url(path))

    @property
    def countries_url(self) -> str:
        return self.url(self.COUNTRIES_PATH)

    @property
    def global_url(self) -> str:
        return self.url(self.GLOBAL_PATH)

    def publish(self, body: bytes, at: datetime | None = None) -> None:
        self.body, self.moved = body, False
        self.version += 1
        self.last_modified = format_datetime(at, usegmt=True) if at else None

    def move(self) -> None:
        self.moved = True

    async def _countries(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.moved:
            return await self._redirect(request)
        headers = {"ETag": f'"v{self.version}"'}
        if self.last_modified:
            headers["Last-Modified"] = self.last_modified
        unchanged = request.headers.get("If-None-Match") == headers["ETag"]
        self.answers.append((self.clock(), 304 if unchanged else 200))
        if unchanged:
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.body, headers=headers)

    async def _redirect(self, request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": self.MOVED_PATH})

    async def _stub(self, request: web.Request) -> web.Response:
        return web.Response(body=STUB, content_type="text/html")


class OffsetClock:
    """The real UTC wall clock plus an offset the test moves forward (never sleeps): lets a test
    skip the 5-minute feed backoff or the 30-second delivery backoff of a service that runs on
    real timers."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


def free_port() -> int:
    """A TCP port nobody listens on right now (bound to port 0 and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@overload
async def eventually(
    check: Callable[[], Awaitable[_T]], *, timeout: float = ..., what: str = ...
) -> _T: ...


@overload
async def eventually(check: Callable[[], _T], *, timeout: float = ..., what: str = ...) -> _T: ...


async def eventually(
    check: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition"
) -> Any:
    """Poll `check()` (sync or async) until it is truthy and return its value; fail after
    `timeout` seconds.

    Only for state without an event to await: a scheduled job's effect, another process's
    /healthz. The 0.05 s pause between tries keeps the poll from hogging the loop; the timeout
    bounds it.
    """

    async def poll() -> Any:
        while True:
            result = check()
            value = await result if inspect.isawaitable(result) else result
            if value:
                return value
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from None


def parse_metrics(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus text exposition → {(sample name, labels): value}, read by the real parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
           **labels: str) -> float:  # fmt: skip
    return samples.get((name, frozenset(labels.items())), 0.0)


@dataclass
class Subscribed:
    """Servers subscribed to US alerts: Discord (guild payload, alert channel id) and Slack
    (team id, channel id, bot token) — one alert channel per server, as the settings allow."""

    discord: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    slack: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def discord_channels(self) -> set[int]:
        return {channel for _guild, channel in self.discord}

    @property
    def slack_channels(self) -> set[str]:
        return {channel for _team, channel, _token in self.slack}


async def subscribe_ahead(
    store: Store,
    fake_discord: FakeDiscord | None,
    *,
    guilds: int = 0,
    workspaces: int = 0,
    now: datetime,
) -> Subscribed:
    """Subscribe Discord guilds (made on the fake) and Slack workspaces (installed over OAuth:
    a bot token each) to US alerts, as their admins' /config commands would have done."""
    made = Subscribed()
    for n in range(guilds):
        assert fake_discord is not None
        guild = fake_discord.create_guild(f"Guild {n}", ("general", "alerts"))
        alerts = int(guild["channels"][1]["id"])
        await _subscribe(store, "discord", str(guild["id"]), str(alerts), now)
        made.discord.append((guild, alerts))
    installs = StoreInstallationStore(store, lambda: now)
    for n in range(workspaces):
        team, channel, token = f"T9{n:04d}", f"C9{n:04d}", f"xoxb-team-{n:04d}"
        await installs.async_save(
            Installation(
                app_id="A0001", enterprise_id=None, team_id=team, bot_token=token,
                bot_id=f"B9{n:04d}", bot_user_id=f"U9{n:04d}", bot_scopes="chat:write",
                user_id="UADMIN", installed_at=now.timestamp(),
            )
        )  # fmt: skip
        await _subscribe(store, "slack", team, channel, now)
        made.slack.append((team, channel, token))
    return made


# above every other surprise of the test weeks: Backtrace (73) is each channel's one alert
THRESHOLD = 70


async def _subscribe(store: Store, platform: str, server: str, channel: str, now: datetime) -> None:
    await store.save_server(ServerSettings(platform, server, channel, THRESHOLD, CATEGORIES), now)
    await store.add_regions(platform, server, ["US"], now)


DISCORD_ADMIN = p.MEMBER | p.MANAGE_GUILD


async def warm(core: Core) -> None:
    """What the service does before it serves (bot/service.warm_up): the newest weeks analysed
    (and the title records loaded), so no command pays for them."""
    for week in set((await core.store.latest_weeks()).values()):
        await core.analyst.week(week)


async def subscribe_in_discord(
    fake: FakeDiscord, guilds: list[int], channels: list[int], timeout: float = 10
) -> None:
    """Admins set each guild's alert channel and follow the US, with /config slash commands."""
    for guild, channel in zip(guilds, channels, strict=True):
        steps: list[tuple[str, dict[str, Any]]] = [
            ("config channel", {"channel": fake.channels[channel]}),
            ("config regions add", {"regions": "US"}),
        ]
        for path, options in steps:
            handle = await fake.command(path, options, guild=guild, permissions=DISCORD_ADMIN)
            [answer] = await handle.answers(timeout=timeout)
            assert answer.status == 200
