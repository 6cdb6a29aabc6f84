"""A local fake of Discord (REST API v10 + JSON gateway) for driving the real discord.py client.

Point discord.py at `fake.api_base` / `fake.gateway_url` (DiscordConfig.api_base / gateway_url).
The fake records every REST request (`requests`, `queue`, `wait_for`), plays the gateway handshake
(HELLO → IDENTIFY → READY → GUILD_CREATE, heartbeats, RESUME), and lets tests push events
(`command`, `autocomplete`, `say`, `join_guild`, `leave_guild`). It behaves like Discord where that
catches bugs: exact `application/json` responses, Discord error bodies and codes, validation of
message payloads (400 50035), bot permissions per channel (403 50013/50001), nonce dedupe, the
3-second interaction deadline (404 10062), "first followup after a defer inherits its ephemerality",
the message-content intent, scripted failures and configurable rate limits (429 with `Via`).
Payload shapes live in tests/discord_payloads.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from aiohttp.web_request import FileField

from tests import discord_payloads as p
from tests.contracts import discord_api

API = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT
_EVENT_INTENTS = {"GUILD_CREATE": 1 << 0, "GUILD_DELETE": 1 << 0}
EPHEMERAL = 64
LOADING = 128
# Documented numbers (discord-api-docs): guilds one shard may hold before 4011 (topics/gateway),
# identifies per 5 s per max_concurrency bucket (ibid.), how long a repeated nonce is dropped
# ("the past few minutes", resources/message: enforce_nonce), interaction token lifetime
# (interactions/receiving-and-responding: 15 minutes) and the invalid-request ban (topics/
# rate-limits: 10,000 401/403/429 responses per 10 minutes per IP).
GUILDS_PER_SHARD = 2500
IDENTIFY_WINDOW = 5.0
NONCE_WINDOW = 300.0
TOKEN_LIFETIME = 900.0
INVALID_LIMIT, INVALID_WINDOW = 10_000, 600.0


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One REST request as the fake saw it, with the status it answered."""

    method: str
    path: str  # below /api/v10
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None  # the JSON body, or multipart `payload_json`
    files: list[Upload] = field(default_factory=list)
    status: int = 0  # 0: the client was gone before the answer
    fields: list[str] = field(default_factory=list)  # multipart field names
    scripted: bool = False  # answered by fail(), not by the fake's rules


@dataclass(frozen=True)
class Limit:
    """At most `requests` per `per` seconds (a fixed window, like Discord's buckets)."""

    requests: int
    per: float


@dataclass(frozen=True)
class RateLimits:
    global_limit: Limit | None = None  # every authenticated request (interactions are exempt)
    channel_messages: Limit | None = None  # POST /channels/{id}/messages, per channel


class _Window:
    def __init__(self, limit: Limit, clock: Callable[[], float]) -> None:
        self.limit, self.clock, self.used, self.reset_at = limit, clock, 0, 0.0

    def take(self) -> float | None:
        """Use one request; the seconds to wait instead when the window is spent."""
        now = self.clock()
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.limit.per
        if self.used >= self.limit.requests:
            return self.reset_at - now
        self.used += 1
        return None

    def headers(self, bucket: str) -> dict[str, str]:
        after = max(0.0, self.reset_at - self.clock())
        return {
            "X-RateLimit-Limit": str(self.limit.requests),
            "X-RateLimit-Remaining": str(max(0, self.limit.requests - self.used)),
            "X-RateLimit-Reset": f"{time.time() + after:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }


@dataclass
class Failure:
    method: str
    path: str  # regex, full match against the path below /api/v10
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int | None  # None: until removed


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and what the user would see of the replies."""

    fake: FakeDiscord
    id: int
    token: str
    channel_id: int
    created: float
    issued: float = 0.0  # on the fake's clock: the token expires TOKEN_LIFETIME later
    response_type: int | None = None
    loading: bool = False
    defer_ephemeral: bool = False
    original: dict[str, Any] | None = None
    shown: list[dict[str, Any]] = field(default_factory=list)  # messages with effective flags
    deleted: set[str] = field(default_factory=set)

    def _mine(self, r: Recorded) -> bool:
        return self.token in r.path

    async def response(self, timeout: float = 5.0) -> Recorded:
        """The interaction callback (type 4 reply, 5 defer, 8 autocomplete result)."""
        found = await self.fake.wait_for(
            lambda r: self._mine(r) and r.path.endswith("/callback"), timeout=timeout
        )
        return found[0]

    async def followups(self, count: int = 1, timeout: float = 5.0) -> list[Recorded]:
        def is_followup(r: Recorded) -> bool:
            return self._mine(r) and r.method == "POST" and r.path.startswith("/webhooks/")

        return await self.fake.wait_for(is_followup, count=count, timeout=timeout)

    async def answers(self, count: int = 1, timeout: float = 15.0) -> list[Recorded]:
        """Replies after the callback: edits of the original response and followups."""

        def is_answer(r: Recorded) -> bool:
            edit = r.method == "PATCH" and r.path.endswith("/messages/@original")
            followup = r.method == "POST" and r.path.startswith("/webhooks/")
            return self._mine(r) and (edit or followup)

        return await self.fake.wait_for(is_answer, count=count, timeout=timeout)

    def visible(self) -> list[dict[str, Any]]:
        """What the user sees now: every reply not deleted, with the flags Discord applied."""
        return [m for m in self.shown if m["id"] not in self.deleted]


class _Connection:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws, self.seq, self.session = ws, 0, ""
        self.shard, self.shards, self.intents, self.ready = 0, 1, 0, False
        self.heartbeats = 0

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        frame: dict[str, Any] = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self.seq += 1
            frame["s"] = self.seq
        await self.ws.send_str(json.dumps(frame))

    def owns(self, guild_id: int | None) -> bool:
        return ((guild_id or 0) >> 22) % self.shards == self.shard


class FakeDiscord:
    """Use as `async with FakeDiscord() as fake:`; serves on 127.0.0.1, an ephemeral port."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        rate_limits: RateLimits = RateLimits(),
        interaction_deadline: float = 3.0,
        allowed_intents: int = ~PRIVILEGED_INTENTS,
        recommended_shards: int = 1,
        max_concurrency: int = 1,
        guilds_per_shard: int = GUILDS_PER_SHARD,
        identify_window: float = IDENTIFY_WINDOW,
        heartbeat_interval: float = 41.25,
        invalid_limit: int = INVALID_LIMIT,
        check_contract: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token, self.rate_limits, self.clock = token, rate_limits, clock
        self.interaction_deadline, self.allowed_intents = interaction_deadline, allowed_intents
        self.recommended_shards, self.max_concurrency = recommended_shards, max_concurrency
        self.guilds_per_shard, self.identify_window = guilds_per_shard, identify_window
        self.heartbeat_interval, self.ack_heartbeats = heartbeat_interval, True
        self.invalid_limit, self.check_contract = invalid_limit, check_contract
        # every request that broke the contract (tests/contracts/discord_api.py); a test that
        # sends one on purpose takes it with take_violations(), any other fails at exit
        self.violations: list[str] = []
        self.closed_dms: set[int] = set()  # users who accept no DMs from the bot (403 50007)
        self.invalid_sessions = 0  # op 9 sent
        self._identified: dict[int, float] = {}  # max_concurrency bucket → last IDENTIFY
        self._invalid: list[float] = []  # times of 401/403/429 answers
        self.banned_until = -1.0
        self.app_id = p.snowflake()
        self.bot = p.user(p.snowflake(), "trendbot", bot=True)
        self.bot_id = int(self.bot["id"])
        self.owner = p.user(p.snowflake(), "owner")
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel id → created messages
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.interactions: dict[str, FakeInteraction] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.queue: asyncio.Queue[Recorded] = asyncio.Queue()
        self.failures: list[Failure] = []
        # seconds a channel message POST waits for its answer once the message exists: a slow
        # way back, so a client killed meanwhile has posted without knowing it
        self.message_delay = 0.0
        self._changed = asyncio.Condition()
        self._connections: list[_Connection] = []
        self._sessions: dict[str, tuple[int, int, int]] = {}
        self._ids = count(1)
        self._global = (
            _Window(rate_limits.global_limit, clock) if rate_limits.global_limit else None
        )
        self._channel_windows: dict[int, _Window] = {}
        self._nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.app = web.Application()
        self.app.router.add_get("/gateway", self._gateway)
        self.app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._server: TestServer | None = None
        W = r"(?P<app>\d+)/(?P<token>[^/]+)"  # noqa: N806
        self._routes: list[tuple[str, re.Pattern[str], Any]] = [
            (m, re.compile(path), handler)
            for m, path, handler in [
                ("GET", r"/users/@me", self._me),
                ("GET", r"/(?:oauth2/)?applications/@me", self._application),
                ("GET", r"/gateway(?P<bot>/bot)?", self._gateway_info),
                ("PUT", r"/applications/\d+(?:/guilds/(?P<guild>\d+))?/commands", self._sync),
                ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback),
                ("POST", rf"/webhooks/{W}", self._followup),
                ("GET|PATCH|DELETE", rf"/webhooks/{W}/messages/(?P<msg>@original|\d+)", self._edit),
                ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message),
                ("GET", r"/channels/(?P<channel>\d+)/messages", self._channel_messages),
                ("POST", r"/channels/(?P<channel>\d+)/typing", self._typing),
                ("GET", r"/channels/(?P<channel>\d+)", self._get_channel),
                ("POST", r"/users/@me/channels", self._open_dm),
            ]
        ]

    # ---- server --------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        self._server = TestServer(self.app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in list(self._connections):
            await conn.ws.close()
        if self._server is not None:
            await self._server.close()
        if self.violations and exc[0] is None:
            raise AssertionError("requests Discord would refuse:\n" + "\n".join(self.violations))

    def take_violations(self) -> list[str]:
        """The contract violations so far (a test that sent them on purpose takes them)."""
        found, self.violations = self.violations, []
        return found

    @property
    def api_base(self) -> str:
        assert self._server is not None
        return str(self._server.make_url(API))

    @property
    def gateway_url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/gateway")).replace("http://", "ws://")

    # ---- what tests look at --------------------------------------------------------------------

    async def wait_for(
        self, match: Callable[[Recorded], bool], *, count: int = 1, timeout: float = 5.0
    ) -> list[Recorded]:
        """The recorded requests that match, once there are at least `count` of them."""

        def found() -> list[Recorded]:
            return [r for r in self.requests if match(r)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count), timeout)
        return found()

    def delivered(self) -> dict[int, int]:
        """Channel id → how many distinct messages were created there."""
        return {channel: len(found) for channel, found in self.messages.items() if found}

    async def wait_messages(self, count: int, *, timeout: float = 5.0) -> None:
        """Wait until at least `count` channel messages exist (over all channels)."""

        def enough() -> bool:
            return sum(len(found) for found in self.messages.values()) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), timeout)

    def sent_to(self, channel_id: int) -> list[Recorded]:
        path = f"/channels/{channel_id}/messages"
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    # ---- scripting -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        code: int = 0,
        message: str = "",
        times: int | None = 1,
        retry_after: float | None = None,
        is_global: bool = False,
        via: bool = True,
    ) -> None:
        """Answer matching requests with an error (429s carry Discord's rate-limit body)."""
        headers: dict[str, str] = {}
        body = p.error(code, message or f"{status}")
        if status == 429:
            wait = retry_after if retry_after is not None else 1.0
            body = {"message": "You are being rate limited.", "retry_after": wait}
            body |= {"global": is_global, "code": 20028 if not is_global else 0}
            headers = _limited_headers(wait, is_global)
            if not via:
                del headers["Via"]
        self.failures.append(Failure(method, path, status, body, headers, times))

    def forbid(self, channel_id: int) -> None:
        """The bot loses Send Messages in a channel (Discord answers 403 50013)."""
        channel = self.channels[channel_id]
        deny = p.overwrite(int(channel["guild_id"]), deny=p.SEND_MESSAGES)
        channel["permission_overwrites"] = [*channel["permission_overwrites"], deny]

    def delete_channel(self, channel_id: int) -> None:
        """The channel is deleted (Discord answers 404 10003 Unknown Channel)."""
        channel = self.channels.pop(channel_id)
        guild = self.guilds.get(int(channel.get("guild_id") or 0))
        if guild is not None:
            guild["channels"] = [c for c in guild["channels"] if c is not channel]

    def create_guild(
        self,
        name: str = "Test Server",
        channel_names: tuple[str, ...] = ("general", "alerts"),
        *,
        everyone_permissions: int = p.MEMBER,
        system_channel: bool = True,
        channel_overwrites: dict[str, list[dict[str, Any]]] | None = None,
        preferred_locale: str = "en-US",
    ) -> dict[str, Any]:
        """Register a guild (the bot a member) without telling the client; returns GUILD_CREATE."""
        guild_id = p.snowflake()
        channels = [
            p.text_channel(p.snowflake(), guild_id, n, position=i,
                           overwrites=(channel_overwrites or {}).get(n))
            for i, n in enumerate(channel_names)
        ]  # fmt: skip
        system = int(channels[0]["id"]) if system_channel and channels else None
        members = [p.member(self.bot), p.member(self.owner)]
        payload = p.guild(guild_id, name, owner_id=int(self.owner["id"]), channels=channels,
                          members=members, everyone_permissions=everyone_permissions,
                          system_channel_id=system, preferred_locale=preferred_locale)  # fmt: skip
        self.guilds[guild_id] = payload
        for channel in channels:
            self.channels[int(channel["id"])] = channel
        return payload

    # ---- events to the client ------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a gateway event to the shard that owns the guild (DMs: shard 0), as its intents
        allow; without the message-content intent, other people's messages arrive blank."""
        targets = [c for c in self._connections if c.ready and c.owns(guild_id)]
        if not targets:
            raise AssertionError(f"no ready gateway connection for {event} (guild {guild_id})")
        wanted = _EVENT_INTENTS.get(event, 0)
        if event == "MESSAGE_CREATE":
            wanted = 1 << 9 if guild_id else 1 << 12  # GUILD_MESSAGES / DIRECT_MESSAGES
        for conn in targets:
            if wanted and not conn.intents & wanted:
                continue
            payload = data
            if event == "MESSAGE_CREATE" and not conn.intents & MESSAGE_CONTENT_INTENT:
                payload = p.without_content(data, self.bot_id)
            await conn.send(0, payload, event)

    async def join_guild(self, payload: dict[str, Any]) -> None:
        self.guilds[int(payload["id"])] = payload
        for channel in payload["channels"]:
            self.channels[int(channel["id"])] = channel
        # a join carries no "unavailable" key; the lazy GUILD_CREATEs after READY carry false
        joined = {k: v for k, v in payload.items() if k != "unavailable"}
        await self.dispatch("GUILD_CREATE", joined, int(payload["id"]))

    async def update_guild(self, guild_id: int, **changes: Any) -> None:
        """GUILD_UPDATE: the guild's admins changed its settings (e.g. preferred_locale)."""
        self.guilds[guild_id].update(changes)
        lists = ("members", "channels", "threads", "presences", "voice_states")
        data = {k: v for k, v in self.guilds[guild_id].items() if k not in lists}
        await self.dispatch("GUILD_UPDATE", data, guild_id)

    async def leave_guild(self, guild_id: int, *, outage: bool = False) -> None:
        """GUILD_DELETE: kicked/left, or (outage=True) the guild became unavailable."""
        data: dict[str, Any] = {"id": str(guild_id)}
        if outage:
            data["unavailable"] = True
        else:
            self.guilds.pop(guild_id, None)
        await self.dispatch("GUILD_DELETE", data, guild_id)

    async def command(
        self,
        path: str,
        options: dict[str, Any] | None = None,
        *,
        guild: dict[str, Any] | None,
        channel_id: int | None = None,
        user: dict[str, Any] | None = None,
        permissions: int = p.MEMBER,
        focused: str | None = None,
        locale: str = "en-GB",
    ) -> FakeInteraction:
        """INTERACTION_CREATE for `/path` (e.g. "config regions add"); `focused` → autocomplete;
        `locale` is the user's client language (the guild's comes from its payload)."""
        names = path.split()
        opts: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, value in (options or {}).items():
            if isinstance(value, dict) and "type" in value:  # a channel payload → channel option
                opts.append(p.option(name, value["id"], kind=7))
                resolved.setdefault("channels", {})[value["id"]] = {
                    "id": value["id"], "type": value["type"], "name": value.get("name", ""),
                    "permissions": str(p.MEMBER), "guild_id": value.get("guild_id"),
                }  # fmt: skip
            else:
                kind = 4 if isinstance(value, int) and not isinstance(value, bool) else 3
                opts.append(p.option(name, value, kind=kind, focused=name == focused))
        invoker = user or self.owner
        if guild is not None:
            channel = self.channels[channel_id or int(guild["channels"][0]["id"])]
        else:
            channel = self._dm_with(invoker)
        data = p.command_data(self._command_id(names[0]), names, opts, resolved=resolved)
        handle = FakeInteraction(self, p.snowflake(), f"itok-{next(self._ids)}-{'x' * 40}",
                                 int(channel["id"]), asyncio.get_running_loop().time(),
                                 self.clock())  # fmt: skip
        self.interactions[handle.token] = handle
        guild_id = int(guild["id"]) if guild else None
        payload = p.interaction(
            interaction_id=handle.id, app_id=self.app_id, token=handle.token,
            kind=4 if focused else 2, data=data, guild_id=guild_id,
            channel={k: v for k, v in channel.items() if k != "recipients"},
            invoker=invoker, permissions=permissions, locale=locale,
            guild_locale=str(guild.get("preferred_locale", "en-US")) if guild else "en-US",
        )  # fmt: skip
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return handle

    async def autocomplete(
        self, path: str, options: dict[str, Any], focused: str, **kw: Any
    ) -> FakeInteraction:
        return await self.command(path, options, focused=focused, **kw)

    async def say(
        self,
        content: str,
        *,
        guild: dict[str, Any] | None,
        channel_id: int | None = None,
        user: dict[str, Any] | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """MESSAGE_CREATE from a user, in a guild channel or (guild=None) in a DM with the bot."""
        author = user or self.owner
        if guild is not None:
            channel = self.channels[channel_id or int(guild["channels"][0]["id"])]
        else:
            channel = self._dm_with(author)
        if mention_bot:
            content = f"<@{self.bot_id}> {content}"
        data = p.message(
            message_id=p.snowflake(), channel_id=int(channel["id"]), author=author,
            content=content, guild_id=int(guild["id"]) if guild else None,
            author_member=p.member(author) if guild else None,
            mentions=[self.bot] if mention_bot else [],
        )  # fmt: skip
        await self.dispatch("MESSAGE_CREATE", data, int(guild["id"]) if guild else None)
        return data

    # ---- REST ----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        rec = Recorded(request.method, path, dict(request.query), dict(request.headers))
        await self._read_body(request, rec)
        try:
            response = await self._checked(request.method, path, rec)
        except asyncio.CancelledError:  # the client went away before the answer (status 0)
            self.requests.append(rec)
            raise
        rec.status = response.status
        self.requests.append(rec)
        self.queue.put_nowait(rec)
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _checked(self, method: str, path: str, rec: Recorded) -> web.Response:
        """The contract, Cloudflare's ban, then the route; 401/403/429 answers are counted."""
        now = self.clock()
        if now < self.banned_until:  # Cloudflare answers, not Discord: no Via, no JSON
            return web.Response(
                status=429, text="error code: 1015", headers={"Retry-After": "3600"}
            )
        if self.check_contract:
            problems = discord_api.check(method, path, rec.query, rec.json,
                                         multipart_fields=rec.fields)  # fmt: skip
            if problems:
                self.violations += problems
                return _json(p.error(50035, "Invalid Form Body", {"_contract": problems}), 400)
        response = await self._answer(method, path, rec)
        if response.status == 400 and not rec.scripted and isinstance(response.body, bytes):
            self.violations.append(f"{method} {path}: refused: {response.body.decode()[:300]}")
        shared = response.headers.get("X-RateLimit-Scope") == "shared"  # these do not count
        if response.status in (401, 403, 429) and not shared:
            self._invalid = [t for t in self._invalid if t > now - INVALID_WINDOW] + [now]
            if len(self._invalid) >= self.invalid_limit:
                self.banned_until = now + 3600.0
        return response

    @property
    def invalid_requests(self) -> int:
        """401/403/429 answers in the last 10 minutes (what Discord's ban counts)."""
        now = self.clock()
        return sum(1 for t in self._invalid if t > now - INVALID_WINDOW)

    async def _answer(self, method: str, path: str, rec: Recorded) -> web.Response:
        for verbs, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None or method not in verbs.split("|"):
                continue
            exempt = path.startswith(("/interactions/", "/webhooks/"))
            if not exempt and rec.headers.get("Authorization") != f"Bot {self.token}":
                return _json(p.error(0, "401: Unauthorized"), 401)
            for failure in self.failures:
                if failure.method == method and re.fullmatch(failure.path, path):
                    rec.scripted = True
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            self.failures.remove(failure)
                    return _json(failure.body, failure.status, failure.headers)
            if self._global is not None and not exempt:
                wait = self._global.take()
                if wait is not None:
                    body = {"message": "You are being rate limited.", "retry_after": wait}
                    return _json(body | {"global": True}, 429, _limited_headers(wait, True))
            response: web.Response = await handler(rec, **match.groupdict())
            return response
        return _json(p.error(0, "404: Not Found"), 404)

    async def _read_body(self, request: web.Request, rec: Recorded) -> None:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                rec.fields.append(name)
                if isinstance(value, str) and name == "payload_json":
                    rec.json = json.loads(value)
                elif isinstance(value, FileField):
                    rec.files.append(
                        Upload(name, value.filename, value.content_type, value.file.read())
                    )
        elif request.can_read_body:
            raw = await request.read()
            rec.json = json.loads(raw) if raw else None

    async def _me(self, rec: Recorded) -> web.Response:
        return _json(self.bot)

    async def _application(self, rec: Recorded) -> web.Response:
        return _json(p.application(self.app_id, self.owner))

    async def _gateway_info(self, rec: Recorded, bot: str | None = None) -> web.Response:
        data: dict[str, Any] = {"url": self.gateway_url}
        if bot:
            limit = {"total": 1000, "remaining": 999, "reset_after": 0,
                     "max_concurrency": self.max_concurrency}  # fmt: skip
            data |= {"shards": self.recommended_shards, "session_start_limit": limit}
        return _json(data)

    async def _sync(self, rec: Recorded, guild: str | None = None) -> web.Response:
        scope = int(guild) if guild else None
        self.commands[scope] = rec.json
        out = [
            {"id": str(self._command_id(c["name"])), "application_id": str(self.app_id),
             "version": "1", "default_member_permissions": None, "type": 1, **c}
            | ({"guild_id": guild} if guild else {})
            for c in rec.json
        ]  # fmt: skip
        return _json(out)

    async def _callback(self, rec: Recorded, id: str, token: str) -> web.Response:
        handle = self.interactions.get(token)
        loop_time = asyncio.get_running_loop().time()
        if handle is None or loop_time - handle.created > self.interaction_deadline:
            return _json(p.error(10062, "Unknown interaction"), 404)
        if handle.response_type is not None:
            return _json(p.error(40060, "Interaction has already been acknowledged."), 400)
        kind, data = rec.json["type"], rec.json.get("data") or {}
        checks = {
            4: lambda: p.message_errors(data, bool(rec.files)),
            8: lambda: p.choices_errors(data),
        }
        errors = checks[kind]() if kind in checks else {}
        if errors:
            return _rejected(errors)
        handle.response_type = kind
        message = None
        if kind == 4:
            message = self._interaction_message(handle, data, rec.files, data.get("flags", 0))
            handle.original = message
        elif kind == 5:
            handle.loading, handle.defer_ephemeral = True, bool(data.get("flags", 0) & EPHEMERAL)
            flags = LOADING | (EPHEMERAL if handle.defer_ephemeral else 0)
            handle.original = self._interaction_message(handle, {"content": ""}, [], flags)
            message = handle.original
        if "with_response" not in rec.query:
            return web.Response(status=204)
        info = {"id": str(handle.id), "type": 2, "response_message_loading": kind == 5}
        body: dict[str, Any] = {"interaction": info, "resource": {"type": kind}}
        if message is not None:
            info |= {"response_message_id": message["id"],
                     "response_message_ephemeral": bool(message["flags"] & EPHEMERAL)}  # fmt: skip
            body["resource"]["message"] = message
        return _json(body)

    def _expired(self, handle: FakeInteraction) -> web.Response | None:
        if self.clock() - handle.issued >= TOKEN_LIFETIME:
            return _json(p.error(50027, "Invalid Webhook Token"), 401)
        return None

    async def _followup(self, rec: Recorded, app: str, token: str) -> web.Response:
        handle = self.interactions.get(token)
        if handle is None or handle.response_type is None or app != str(self.app_id):
            return _json(p.error(10015, "Unknown Webhook"), 404)
        if (expired := self._expired(handle)) is not None:
            return expired
        if handle.loading:
            # receiving-and-responding: after a deferred response, edit the original response;
            # a followup resolving the "thinking…" message is the deprecated way
            self.violations.append(
                f"POST /webhooks/{{id}}/{{token}}: the reply to deferred interaction {handle.id} "
                "came as a followup; edit the original response instead"
            )
        data = rec.json or {}
        errors = p.message_errors(data, bool(rec.files))
        if errors:
            return _rejected(errors)
        if handle.loading and handle.original is not None:
            # Discord: the first followup after a defer resolves the loading message and keeps the
            # defer's ephemerality, whatever flags it asks for.
            handle.loading = False
            flags = EPHEMERAL if handle.defer_ephemeral else 0
            handle.original.update(self._interaction_message(handle, data, rec.files, flags, False))
            message = handle.original
        else:
            flags = data.get("flags", 0) & EPHEMERAL
            message = self._interaction_message(handle, data, rec.files, flags)
        return (
            _json(message) if rec.query.get("wait") in ("1", "true") else web.Response(status=204)
        )

    async def _edit(self, rec: Recorded, app: str, token: str, msg: str) -> web.Response:
        handle = self.interactions.get(token)
        if handle is None or handle.original is None:
            return _json(p.error(10008, "Unknown Message"), 404)
        if (expired := self._expired(handle)) is not None:
            return expired
        if rec.method == "DELETE":
            handle.deleted.add(handle.original["id"])
            handle.loading = False
            return web.Response(status=204)
        if rec.method == "PATCH":
            errors = p.message_errors(rec.json or {}, bool(rec.files))
            if errors:
                return _rejected(errors)
            handle.loading = False
            flags = handle.original["flags"] & EPHEMERAL
            handle.original.update(
                self._interaction_message(handle, rec.json, rec.files, flags, False)
            )
        return _json(handle.original)

    async def _create_message(self, rec: Recorded, channel: str) -> web.Response:
        channel_id = int(channel)
        found = self.channels.get(channel_id)
        if found is None:
            return _json(p.error(10003, "Unknown Channel"), 404)
        if not self._bot_can(found, p.VIEW_CHANNEL):
            return _json(p.error(50001, "Missing Access"), 403)
        needed = p.SEND_MESSAGES | (p.ATTACH_FILES if rec.files else 0)
        if not self._bot_can(found, needed):
            return _json(p.error(50013, "Missing Permissions"), 403)
        if found["type"] == p.DM_CHANNEL and int(found["recipients"][0]["id"]) in self.closed_dms:
            return _json(p.error(50007, "Cannot send messages to this user"), 403)
        data = dict(rec.json or {})
        if data.get("message_reference") and not self._bot_can(found, p.READ_MESSAGE_HISTORY):
            # a reply needs Read Message History (error code 160002)
            text = "Cannot reply without permission to read message history"
            return _json(p.error(160002, text), 403)
        if data.get("embeds") and not self._bot_can(found, p.EMBED_LINKS):
            data["embeds"] = []  # without Embed Links, Discord drops a bot's embeds
        headers: dict[str, str] = {}
        limit = self.rate_limits.channel_messages
        if limit is not None:
            window = self._channel_windows.setdefault(channel_id, _Window(limit, self.clock))
            wait = window.take()
            if wait is not None:
                return _json({"message": "You are being rate limited.", "retry_after": wait,
                              "global": False, "code": 20028}, 429, _limited_headers(wait, False)
                             | window.headers("channel-messages"))  # fmt: skip
            headers = window.headers("channel-messages")
        errors = p.message_errors(data, bool(rec.files))
        if errors:
            return _rejected(errors)
        nonce, now = data.get("nonce"), self.clock()
        earlier = self._nonces.get((channel_id, nonce)) if nonce is not None else None
        if earlier is not None and data.get("enforce_nonce") and now - earlier[0] < NONCE_WINDOW:
            return _json(earlier[1], 200, headers)  # the same message again, nothing new
        message = self._message(channel_id, found.get("guild_id"), data, rec.files, 0)
        self.messages.setdefault(channel_id, []).append(message)
        if nonce is not None:
            self._nonces[(channel_id, nonce)] = (now, message)
        async with self._changed:
            self._changed.notify_all()
        if self.message_delay:
            await asyncio.sleep(self.message_delay)
        return _json(message, 200, headers)

    async def _channel_messages(self, rec: Recorded, channel: str) -> web.Response:
        """Newest first; needs View Channel and Read Message History. A fetched message carries
        no nonce: Discord shows it only in the create answer and MESSAGE_CREATE."""
        found = self.channels.get(int(channel))
        if found is None:
            return _json(p.error(10003, "Unknown Channel"), 404)
        if not self._bot_can(found, p.VIEW_CHANNEL):
            return _json(p.error(50001, "Missing Access"), 403)
        if not self._bot_can(found, p.READ_MESSAGE_HISTORY):
            return _json(p.error(50013, "Missing Permissions"), 403)
        limit = int(rec.query.get("limit", 50))
        newest = list(reversed(self.messages.get(int(channel), [])))[:limit]
        return _json([{k: v for k, v in m.items() if k != "nonce"} for m in newest])

    async def _typing(self, rec: Recorded, channel: str) -> web.Response:
        return web.Response(status=204)

    async def _get_channel(self, rec: Recorded, channel: str) -> web.Response:
        found = self.channels.get(int(channel))
        return _json(found) if found else _json(p.error(10003, "Unknown Channel"), 404)

    async def _open_dm(self, rec: Recorded) -> web.Response:
        recipient = str(rec.json["recipient_id"])
        known = self.owner if self.owner["id"] == recipient else p.user(int(recipient), "someone")
        return _json(self._dm_with(known))

    # ---- helpers -------------------------------------------------------------------------------

    def _command_id(self, name: str) -> int:
        return 10_000 + sum(ord(c) for c in name)

    def _dm_with(self, user: dict[str, Any]) -> dict[str, Any]:
        for channel in self.channels.values():
            if channel["type"] == p.DM_CHANNEL and channel["recipients"][0]["id"] == user["id"]:
                return channel
        channel = p.dm_channel(p.snowflake(), user)
        self.channels[int(channel["id"])] = channel
        return channel

    def _message(
        self, channel_id: int, guild_id: str | None, data: dict[str, Any],
        files: list[Upload], flags: int, webhook: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        attachments = [p.attachment(p.snowflake(), f.filename, len(f.data), f.content_type)
                       for f in files]  # fmt: skip
        message = p.message(
            message_id=p.snowflake(), channel_id=channel_id, author=self.bot,
            content=data.get("content") or "", guild_id=int(guild_id) if guild_id else None,
            embeds=data.get("embeds") or [], components=data.get("components") or [],
            attachments=attachments, flags=flags, nonce=data.get("nonce"),
            webhook_id=self.app_id if webhook else None,
            reference=data.get("message_reference"),
        )  # fmt: skip
        return message

    def _interaction_message(
        self, handle: FakeInteraction, data: dict[str, Any], files: list[Upload], flags: int,
        record: bool = True,
    ) -> dict[str, Any]:  # fmt: skip
        channel = self.channels.get(handle.channel_id, {})
        message = self._message(handle.channel_id, channel.get("guild_id"), data, files, flags,
                                webhook=True)  # fmt: skip
        if record:
            handle.shown.append(message)
        return message

    def _bot_can(self, channel: dict[str, Any], needed: int) -> bool:
        if channel["type"] == p.DM_CHANNEL:
            return True
        guild = self.guilds.get(int(channel["guild_id"]))
        if guild is None:
            return False
        me = next(m for m in guild["members"] if m["user"]["id"] == self.bot["id"])
        roles = {r["id"]: int(r["permissions"]) for r in guild["roles"]}
        perms = roles[guild["id"]]
        for role_id in me["roles"]:
            perms |= roles.get(role_id, 0)
        if perms & p.ADMINISTRATOR:
            return True
        ows = {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]}
        allow, deny = ows.get(guild["id"], (0, 0))
        perms = (perms & ~deny) | allow
        role_allow = role_deny = 0
        for role_id in me["roles"]:
            a, d = ows.get(role_id, (0, 0))
            role_allow, role_deny = role_allow | a, role_deny | d
        perms = (perms & ~role_deny) | role_allow
        allow, deny = ows.get(self.bot["id"], (0, 0))
        perms = (perms & ~deny) | allow
        return perms & needed == needed

    # ---- gateway -------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Connection(ws)
        self._connections.append(conn)
        try:
            await conn.send(10, {"heartbeat_interval": int(self.heartbeat_interval * 1000)})
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(frame.data))
        finally:
            self._connections.remove(conn)
        return ws

    async def _on_frame(self, conn: _Connection, frame: dict[str, Any]) -> None:
        op, data = frame["op"], frame.get("d") or {}
        if op == 1:
            conn.heartbeats += 1
            if self.ack_heartbeats:
                await conn.send(11, None)
            async with self._changed:
                self._changed.notify_all()
        elif op == 2:
            self.identifies.append(data)
            async with self._changed:
                self._changed.notify_all()
            if data["token"] != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            if data["intents"] & ~self.allowed_intents:
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            conn.shard, conn.shards = data.get("shard", [0, 1])
            bucket, now = conn.shard % self.max_concurrency, self.clock()
            last = self._identified.get(bucket)
            if last is not None and now - last < self.identify_window:
                # identified too soon in this max_concurrency bucket: op 9 Invalid Session
                self.invalid_sessions += 1
                await conn.send(9, False)
                return
            self._identified[bucket] = now
            if sum(1 for g in self.guilds if conn.owns(g)) > self.guilds_per_shard:
                await conn.ws.close(code=4011, message=b"Sharding required.")
                return
            conn.intents, conn.session = data["intents"], f"sess-{next(self._ids)}"
            self._sessions[conn.session] = (conn.shard, conn.shards, conn.intents)
            mine = [g for g in self.guilds if conn.owns(g)]
            shard = [conn.shard, conn.shards] if "shard" in data else None
            ready = p.ready(self.bot, self.app_id, mine, session_id=conn.session,
                            resume_url=self.gateway_url, shard=shard)  # fmt: skip
            await conn.send(0, ready, "READY")
            conn.ready = True
            if conn.intents & 1:
                for guild_id in mine:
                    await conn.send(0, self.guilds[guild_id], "GUILD_CREATE")
        elif op == 6:
            conn.session = data["session_id"]
            conn.shard, conn.shards, conn.intents = self._sessions[conn.session]
            conn.seq, conn.ready = data["seq"], True
            await conn.send(0, {}, "RESUMED")
            self.resumes.append(data)
            async with self._changed:
                self._changed.notify_all()

    async def request_heartbeat(self, timeout: float = 5.0) -> None:
        """op 1 from Discord: every connection must heartbeat at once (returns when all did)."""
        conns = [c for c in self._connections if c.ready]
        wanted = {id(c): c.heartbeats + 1 for c in conns}
        for conn in conns:
            await conn.send(1, None)
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: all(c.heartbeats >= wanted[id(c)] for c in conns)),
                timeout,
            )

    async def invalidate_session(self, resumable: bool = False) -> None:
        """op 9 Invalid Session on every connection."""
        for conn in list(self._connections):
            conn.ready = False
            self.invalid_sessions += 1
            await conn.send(9, resumable)

    async def reconnect(self, timeout: float = 5.0) -> None:
        """op 7 RECONNECT on every connection; returns once each has come back with RESUME."""
        wanted = len(self.resumes) + len(self._connections)
        for conn in list(self._connections):
            conn.ready = False
            await conn.send(7, None)
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.resumes) >= wanted), timeout
            )


def _rejected(errors: dict[str, str]) -> web.Response:
    if errors == {"content": p.EMPTY_MESSAGE}:
        return _json(p.error(50006, p.EMPTY_MESSAGE), 400)
    return _json(p.invalid_form_body(errors), 400)


def _limited_headers(wait: float, is_global: bool) -> dict[str, str]:
    """Headers of a 429: discord.py retries in place only when `Via` is present."""
    headers = {
        "Retry-After": str(math.ceil(wait)),
        "Via": "1.1 google",
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        return headers | {"X-RateLimit-Global": "true"}
    return headers | {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + wait:.3f}",
        "X-RateLimit-Reset-After": f"{wait:.3f}",
        "X-RateLimit-Bucket": "scripted",
    }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py compares Content-Type for equality: no "; charset=utf-8" suffix allowed.
    body = json.dumps(data, default=lambda o: None).encode()
    response = web.Response(body=body, status=status, headers=headers)
    response.content_type = "application/json"
    return response
