"""A local fake of Slack for tests: the Web API, file uploads, response_url and Socket Mode.

It records every call ({method, headers, body}), answers like Slack (canned users, teams, tokens),
and checks each call against Slack's contract (tests/contracts/slack_api.py: the official Web API
spec, the token's scopes from the app manifest, Block Kit through slack_sdk's models), answering
`unknown_method`, `invalid_arguments`, `missing_scope` or `invalid_blocks` as Slack does; every such
call is a violation that fails the test unless it takes it (`take_violations()`). It models what
Slack documents: chat.postMessage about 1 per second per channel (short bursts allowed), the bot's
channel membership (`not_in_channel`; public channels take posts with chat:write.public), the
limited conversations.history of non-Marketplace apps (1 call a minute, 15 messages), response_url
limits (5 answers within 30 minutes), token expiry with rotation. It can be told to fail a method —
an error code, a 429 with Retry-After, a 500 — or to hold a call until released. Also here: helpers
that play Slack's side of a request (signed slash commands, events with retries, actions).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from tests.contracts import slack_api

TEAM = "T0001"
SECOND_TEAM = "T0002"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
SECRET = "test-signing-secret"
ADMIN = "UADMIN"
OWNER = "UOWNER"
MEMBER = "UMEMBER"
USERS: dict[str, dict[str, Any]] = {
    ADMIN: {"is_admin": True, "is_owner": False},
    OWNER: {"is_admin": False, "is_owner": True, "is_primary_owner": True},
    MEMBER: {"is_admin": False, "is_owner": False},
}
# what oauth.v2.access hands out for the second workspace
OAUTH_TOKEN = "xoxb-second-workspace"
# Documented limits: response_url "up to 5 times within 30 minutes" (slash commands); history of
# non-Marketplace apps created since 2025-05-29: 1 request a minute, at most 15 messages
# (docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps).
RESPONSE_USES, RESPONSE_LIFETIME = 5, 30 * 60.0
HISTORY_EVERY, HISTORY_MAX = 60.0, 15
POSTS_PER_SECOND, POST_BURST = 1.0, 5  # chat.postMessage per channel; bursts "allowed"


def manifest_scopes() -> frozenset[str]:
    """The bot scopes adapters/slack_manifest.yml asks for (what an install grants)."""
    from pathlib import Path

    import yaml

    manifest = Path(__file__).resolve().parents[1] / "adapters" / "slack_manifest.yml"
    return frozenset(yaml.safe_load(manifest.read_text(encoding="utf-8"))["oauth_config"]
                     ["scopes"]["bot"])  # fmt: skip


@dataclass
class Call:
    method: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes = b""

    @property
    def token(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")


@dataclass
class _Failure:
    method: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    channel: str | None
    times: int


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    token_teams: dict[str, str] = field(
        default_factory=lambda: {BOT_TOKEN: TEAM, OAUTH_TOKEN: SECOND_TEAM}
    )
    socket_acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    problems: list[str] = field(default_factory=list)  # Block Kit violations seen
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # posts, newest first
    locales: dict[str, str] = field(default_factory=dict)  # user → locale (else en-US)
    # method → seconds its answer waits once Slack has acted (the post is already in `history`)
    delays: dict[str, float] = field(default_factory=dict)
    check_contract: bool = True
    violations: list[str] = field(default_factory=list)
    # channels the bot is a member of (invited, or a DM); None: every channel, as before invites
    # were modelled
    members: set[str] | None = field(default_factory=set)
    history_limited: bool = True  # a non-Marketplace app (the default since 2025-05)
    scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # token → granted scopes
    expires: dict[str, float] = field(default_factory=dict)  # token → when it stops working
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._failures: list[_Failure] = []
        self._held: dict[str, asyncio.Event] = {}
        self._seen: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._socket: web.WebSocketResponse | None = None
        self._socket_open = asyncio.Event()
        self.server: TestServer | None = None
        self._granted = manifest_scopes()
        self._posts: dict[str, tuple[float, float]] = {}  # channel → (tokens, at)
        self._history_at: dict[str, float] = {}  # token → last conversations.history
        self._hooks: dict[str, list[float]] = {}  # response_url path → uses
        self.refreshed: dict[str, str] = {}  # refresh token → the access token it gave

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_get("/link", self._link)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self.server is not None:
            await self.server.close()
        if self.violations:
            raise AssertionError("calls Slack would refuse:\n" + "\n".join(self.violations))

    def take_violations(self) -> list[str]:
        """The contract violations so far (a test that made them on purpose takes them)."""
        found, self.violations = self.violations, []
        return found

    def scopes_of(self, token: str) -> frozenset[str]:
        if token in self.scopes:
            return self.scopes[token]
        if token.startswith("xapp-"):
            return frozenset({"connections:write"})
        return self._granted if token.startswith(("xoxb-", "xoxe.xoxb-")) else frozenset()

    def is_member(self, channel: str) -> bool:
        return self.members is None or channel in self.members or channel[:1] in ("D", "U")

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    @property
    def api_base(self) -> str:
        return self.url("/api/")

    # ---- scripting -------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error: str | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        channel: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` (to `channel`, if given) fail."""
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        self._failures.append(_Failure(method, status, body, headers or {}, channel, times))

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of `method` waiting until the returned event is set."""
        gate = asyncio.Event()
        self._held[method] = gate
        return gate

    # ---- reading what happened -------------------------------------------------------------------

    def delivered(self) -> dict[str, int]:
        """Channel → how many messages chat.postMessage put there."""
        return {channel: len(posts) for channel, posts in self.history.items() if posts}

    async def wait_posts(self, count: int, timeout: float = 5) -> None:
        """Wait until chat.postMessage has put at least `count` messages in channels."""

        def enough() -> bool:
            return sum(len(posts) for posts in self.history.values()) >= count

        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(enough)

        await asyncio.wait_for(arrived(), timeout)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def web_api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.method not in ("respond", "upload")]

    async def next(self, method: str, timeout: float = 15) -> Call:
        """The next call of `method` not returned before, waiting for it if needed."""

        async def arrived() -> Call:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: len(self.calls_to(method)) > self._seen.get(method, 0)
                )
                index = self._seen.get(method, 0)
                self._seen[method] = index + 1
                return self.calls_to(method)[index]

        return await asyncio.wait_for(arrived(), timeout)

    # ---- Socket Mode -----------------------------------------------------------------------------

    async def send_envelope(self, envelope: dict[str, Any], timeout: float = 5) -> None:
        await asyncio.wait_for(self._socket_open.wait(), timeout)
        assert self._socket is not None
        await self._socket.send_json(envelope)

    async def next_ack(self, timeout: float = 5) -> dict[str, Any]:
        return await asyncio.wait_for(self.socket_acks.get(), timeout)

    # ---- handlers --------------------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        gate = self._held.get(call.method)
        if gate is not None:
            await gate.wait()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and raw:
            body.update(json.loads(raw))
        elif raw:
            body.update((await request.post()).items())
        await self._record(Call(method, dict(request.headers), body, raw))
        failure = self._failure_for(method, body)
        if failure is not None:
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.check_contract:
            args = {k: v for k, v in body.items() if k != "token"}
            refusal = slack_api.check_call(method, args, self.scopes_of(token))
            if refusal is not None:
                self.violations.append(f"{method}: {refusal.error}: {refusal.detail}")
                return web.json_response({"ok": False, "error": refusal.error, **refusal.extra})
        if token in self.expires and self.clock() >= self.expires[token]:
            return web.json_response({"ok": False, "error": "token_expired"})
        limited = self._limited(method, body, token)
        if limited is not None:
            return limited
        answer = self._answer(method, body, request)
        async with self._changed:
            self._changed.notify_all()
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(answer)

    def _limited(self, method: str, body: dict[str, Any], token: str) -> web.Response | None:
        """Slack's documented rate limits and membership rules, before the method acts."""
        now, channel = self.clock(), str(body.get("channel") or body.get("channel_id") or "")
        if method == "chat.postMessage":
            tokens, at = self._posts.get(channel, (float(POST_BURST), now))
            tokens = min(float(POST_BURST), tokens + (now - at) * POSTS_PER_SECOND)
            if tokens < 1:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": "1"})  # fmt: skip
            self._posts[channel] = (tokens - 1, now)
            public_ok = channel.startswith("C") and "chat:write.public" in self.scopes_of(token)
            if not self.is_member(channel) and not public_ok:
                error = "not_in_channel" if channel.startswith("C") else "channel_not_found"
                return web.json_response({"ok": False, "error": error})
        if method in ("conversations.history", "files.completeUploadExternal") and channel:
            if not self.is_member(channel):
                return web.json_response({"ok": False, "error": "not_in_channel"})
        if method == "conversations.history" and self.history_limited:
            last = self._history_at.get(token)
            if last is not None and now - last < HISTORY_EVERY:
                wait = str(int(HISTORY_EVERY - (now - last)) + 1)
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": wait})  # fmt: skip
            self._history_at[token] = now
        return None

    def _failure_for(self, method: str, body: dict[str, Any]) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.channel in (None, body.get("channel")):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _answer(self, method: str, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        team = self.token_teams.get(token, TEAM)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "trendbot",
                "team_id": team,
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method == "users.info":
            user = USERS.get(str(body.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            found = {"id": body["user"], "team_id": team, **user}
            # users.info: "include_locale: Set this to true to receive the locale for this user"
            if str(body.get("include_locale", "")).casefold() in ("1", "true"):
                found["locale"] = self.locales.get(str(body["user"]), "en-US")
            return {"ok": True, "user": found}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            problem = self._refused_blocks(method, slack_api.message_problems(body))
            if problem:
                return {"ok": False, "error": "invalid_blocks", "detail": problem}
            ts = f"{time.time():.6f}"
            if method == "chat.postMessage":
                self.history.setdefault(str(body.get("channel")), []).insert(
                    0,
                    {
                        "type": "message",
                        "ts": ts,
                        "text": body.get("text"),
                        "metadata": _json(body.get("metadata")),
                    },  # fmt: skip
                )
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message_ts": ts}
        if method == "conversations.history":
            messages = self.history.get(str(body.get("channel")), [])
            limit = int(body.get("limit") or 100)
            limit = min(limit, HISTORY_MAX) if self.history_limited else limit
            if str(body.get("include_all_metadata")).lower() not in ("true", "1"):
                messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
            return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}
        if method == "views.publish":
            view = _json(body.get("view"))
            problem = self._refused_blocks(method, slack_api.block_problems(view.get("blocks", []),
                                                                            home=True))  # fmt: skip
            if problem:
                return {"ok": False, "error": "invalid_blocks", "detail": problem}
            return {"ok": True, "view": {"id": "V1", **view}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids)}"
            return {"ok": True, "file_id": file_id, "upload_url": self.url(f"/upload/{file_id}")}
        if method == "files.completeUploadExternal":
            files = _json(body.get("files")) or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "oauth.v2.access" and body.get("grant_type") == "refresh_token":
            fresh = f"xoxe.xoxb-{next(self._ids)}"
            self.refreshed[str(body.get("refresh_token"))] = fresh
            return {"ok": True, "access_token": fresh, "refresh_token": f"xoxe-r{fresh}",
                    "expires_in": 43200, "token_type": "bot", "scope": "chat:write",
                    "bot_user_id": "UBOT2", "app_id": "A0001", "team": {"id": SECOND_TEAM},
                    "enterprise": None, "is_enterprise_install": False}  # fmt: skip
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "app_id": "A0001",
                "authed_user": {"id": ADMIN},
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": OAUTH_TOKEN,
                "bot_user_id": "UBOT2",
                "team": {"id": SECOND_TEAM, "name": "Second"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url("/link").replace("http://", "ws://")}
        return {"ok": True}

    def _refused_blocks(self, method: str, problems: list[str]) -> str:
        if problems:
            self.violations.append(f"{method}: invalid_blocks: {'; '.join(problems)}")
        return "; ".join(problems)

    async def _upload(self, request: web.Request) -> web.Response:
        raw = await request.read()
        await self._record(
            Call("upload", dict(request.headers), {"file_id": request.match_info["file_id"]}, raw)
        )
        return web.Response(text=f"OK - {len(raw)}")

    async def _respond(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        await self._record(Call("respond", dict(request.headers), body, raw))
        uses = self._hooks.setdefault(request.path, [])
        now = self.clock()
        if uses and now - uses[0] >= RESPONSE_LIFETIME:
            return web.Response(status=404, text="expired_url")
        if len(uses) >= RESPONSE_USES:
            return web.Response(status=404, text="used_url")
        uses.append(now)
        problem = self._refused_blocks("response_url", slack_api.message_problems(body))
        if problem:
            self.problems.append(problem)
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {}})
        self._socket_open.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(message.data))
        return socket


# ---- Block Kit checks (what Slack refuses with invalid_blocks) -----------------------------------


def _json(value: Any) -> Any:
    """Slack clients send nested structures as JSON strings in form posts, objects in JSON."""
    return json.loads(value) if isinstance(value, str) else value


def check_message(body: dict[str, Any]) -> str:
    """What Slack would refuse in a message ("" when nothing)."""
    return "; ".join(slack_api.message_problems(body))


def check_blocks(blocks: list[dict[str, Any]], limit: int, *, home: bool = False) -> str:
    """What Slack would refuse in a list of blocks ("" when nothing)."""
    del limit  # the documented limit follows from where the blocks go
    return "; ".join(slack_api.block_problems(blocks, home=home))


# ---- playing Slack's side of a request -----------------------------------------------------------


def sign(body: bytes, timestamp: int | str, secret: str = SECRET) -> str:
    """X-Slack-Signature for a body, computed independently of slack_sdk."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, timestamp: int, *, form: bool, secret: str = SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded" if form else "application/json",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp, secret),
    }


def command(
    name: str,
    text: str = "",
    *,
    user: str = ADMIN,
    channel: str = "C0001",
    team: str = TEAM,
    response_url: str,
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": team,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": name,
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def form_body(payload: dict[str, str]) -> bytes:
    return urlencode(payload).encode()


def event(inner: dict[str, Any], *, team: str = TEAM, event_id: str = "Ev0001") -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A0001",
        "event": inner,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1656676800,
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }


def save_action(values: dict[str, Any], *, user: str = ADMIN, team: str = TEAM) -> dict[str, Any]:
    """A block_actions payload: the Save button pressed in the App Home form."""
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0001",
        "trigger_id": "1.2.3",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home", "state": {"values": values}},
        "actions": [
            {"type": "button", "action_id": "save_settings", "block_id": "save", "action_ts": "1"}
        ],
    }


def form_values(
    *,
    regions: list[str] | None = None,
    channel: str | None = None,
    threshold: str | None = None,
    categories: list[str] | None = None,
) -> dict[str, Any]:
    """`view.state.values` as Slack sends them for the settings form."""
    values: dict[str, Any] = {}
    if regions is not None:
        values["regions"] = {
            "regions": {
                "type": "multi_static_select",
                "selected_options": [{"value": r} for r in regions],
            }
        }
    if channel is not None:
        values["channel"] = {
            "channel": {"type": "conversations_select", "selected_conversation": channel}
        }
    if threshold is not None:
        values["threshold"] = {"threshold": {"type": "plain_text_input", "value": threshold}}
    if categories is not None:
        values["categories"] = {
            "categories": {
                "type": "checkboxes",
                "selected_options": [{"value": c} for c in categories],
            }
        }
    return values


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


class SlackSide:
    """Plays Slack towards the app under test: signs and POSTs commands, events and actions."""

    def __init__(self, http: Any, clock: Any, fake: FakeSlack, secret: str = SECRET) -> None:
        self.http = http  # aiohttp.test_utils.TestClient serving the adapter's web_app()
        self.clock = clock
        self.fake = fake
        self.secret = secret
        self.hooks = 0

    @property
    def now(self) -> int:
        return int(self.clock().timestamp())

    async def post(self, body: bytes, *, form: bool, headers: dict[str, str] | None = None) -> Any:
        sent = signed_headers(body, self.now, form=form, secret=self.secret)
        sent.update(headers or {})
        return await self.http.post("/slack/events", data=body, headers=sent)

    async def command(self, name: str, text: str = "", **kwargs: Any) -> Any:
        self.hooks += 1  # each command gets its own response_url, as Slack's do
        kwargs.setdefault("response_url", self.fake.url(f"/respond/hook-{self.hooks}"))
        return await self.post(form_body(command(name, text, **kwargs)), form=True)

    async def answer(self, name: str, text: str = "", **kwargs: Any) -> dict[str, Any]:
        """A command's answer as the user sees it: in the ack's body (Bolt's fast path) or, for
        a slow answer, posted to the command's response_url."""
        response = await self.command(name, text, **kwargs)
        assert response.status == 200, response.status
        raw = await response.text()
        if raw.startswith("{") and '"blocks"' in raw:
            found: dict[str, Any] = json.loads(raw)
            return found
        return (await self.fake.next("respond")).body

    async def event(self, inner: dict[str, Any], *, retry: int = 0, **kwargs: Any) -> Any:
        """An Events API callback; `retry` > 0 is Slack re-sending it (its ack came late)."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(event(inner, **kwargs)).encode(), form=False,
                               headers=headers if retry else None)  # fmt: skip

    async def action(self, payload: dict[str, Any]) -> Any:
        return await self.post(interaction_body(payload), form=True)


@asynccontextmanager
async def served(app: web.Application, clock: Any, fake: FakeSlack) -> AsyncIterator[SlackSide]:
    """Serve a Slack adapter's web app on 127.0.0.1 and play Slack's side of it."""
    http = TestClient(TestServer(app, host="127.0.0.1"))
    await http.start_server()
    try:
        yield SlackSide(http, clock, fake)
    finally:
        await http.close()
