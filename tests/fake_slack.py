"""A local fake of Slack for tests: the Web API, file uploads, response_url and Socket Mode.

It records every call ({method, headers, body}), answers like Slack (canned users, teams, tokens),
checks Block Kit limits the way Slack refuses oversize payloads (`invalid_blocks`), and can be told
to fail a method — an error code, a 429 with Retry-After, a 500 — or to hold a call until released.
Also here: helpers that play Slack's side of a request (signed slash commands, events, actions).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

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
    # method → seconds its answer waits once Slack has acted (the post is already in `history`)
    delays: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._failures: list[_Failure] = []
        self._held: dict[str, asyncio.Event] = {}
        self._seen: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._socket: web.WebSocketResponse | None = None
        self._socket_open = asyncio.Event()
        self.server: TestServer | None = None

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

    async def next(self, method: str, timeout: float = 5) -> Call:
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
        answer = self._answer(method, body, request)
        async with self._changed:
            self._changed.notify_all()
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(answer)

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
            return {"ok": True, "user": {"id": body["user"], "team_id": team, **user}}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            problem = check_message(body)
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
            if str(body.get("include_all_metadata")).lower() not in ("true", "1"):
                messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
            return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}
        if method == "views.publish":
            view = _json(body.get("view"))
            problem = check_blocks(view.get("blocks", []), 100, home=True)
            if problem:
                return {"ok": False, "error": "invalid_blocks", "detail": problem}
            return {"ok": True, "view": {"id": "V1", **view}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids)}"
            return {"ok": True, "file_id": file_id, "upload_url": self.url(f"/upload/{file_id}")}
        if method == "files.completeUploadExternal":
            files = _json(body.get("files")) or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
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
        problem = check_message(body)
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
    blocks = _json(body.get("blocks"))
    if not body.get("text") and not blocks:
        return "no text"
    return check_blocks(blocks or [], 50)


def check_blocks(blocks: list[dict[str, Any]], limit: int, *, home: bool = False) -> str:
    if len(blocks) > limit:
        return f"{len(blocks)} blocks > {limit}"
    for block in blocks:
        kind = block["type"]
        if kind == "input" and not home:
            return "input block in a message"
        if kind == "header" and not 1 <= len(block["text"]["text"]) <= 150:
            return "header text length"
        if kind == "section":
            text = block.get("text", {}).get("text", "")
            fields = block.get("fields", [])
            if not text and not fields:
                return "empty section"
            if len(text) > 3000 or len(fields) > 10:
                return "section too big"
            if any(not f["text"] or len(f["text"]) > 2000 for f in fields):
                return "field length"
        if kind == "actions" and len(block["elements"]) > 25:
            return "too many elements"
        if kind == "context" and any(len(e["text"]) > 3000 for e in block["elements"]):
            return "context length"
        for element in [block.get("element", {}), *block.get("elements", [])]:
            text = element.get("text")
            if element.get("type") == "button" and not 1 <= len(text["text"]) <= 75:
                return "button text length"
            if len(element.get("options", [])) > 100:
                return "too many options"
    return ""


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

    @property
    def now(self) -> int:
        return int(self.clock().timestamp())

    async def post(self, body: bytes, *, form: bool, headers: dict[str, str] | None = None) -> Any:
        sent = signed_headers(body, self.now, form=form, secret=self.secret)
        sent.update(headers or {})
        return await self.http.post("/slack/events", data=body, headers=sent)

    async def command(self, name: str, text: str = "", **kwargs: Any) -> Any:
        kwargs.setdefault("response_url", self.fake.url("/respond/hook"))
        return await self.post(form_body(command(name, text, **kwargs)), form=True)

    async def event(self, inner: dict[str, Any], **kwargs: Any) -> Any:
        return await self.post(json.dumps(event(inner, **kwargs)).encode(), form=False)

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
