"""The Slack adapter: a slack-bolt AsyncApp over Socket Mode or HTTP (+ OAuth), Block Kit, App Home.

A translator only: a Slack payload becomes a Core call, the Card that comes back becomes Block Kit.
It decides nothing and words nothing; `bot/words` does both. Here: transports, request checks and
the command and question listeners. Block Kit lives in slack_blocks, posting in slack_outbound,
who is asking in slack_people, installs and App Home in slack_workspaces, the OAuth stores in
slack_install.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_blocks import (
    LINK_ACTION,
    SAVE_ACTION,
)
from adapters.slack_install import (
    INSTALL_PATH,
    REDIRECT_PATH,
    StoreInstallationStore,
    oauth_settings,
)
from adapters.slack_outbound import SlackSender, laid_out
from adapters.slack_people import SlackPeople
from adapters.slack_web import retry_handlers
from adapters.slack_workspaces import SlackWorkspaces
from bot.asks import Context
from bot.cards import Card, Image
from bot.config import SlackConfig
from bot.core import Core
from bot.errors import (
    ConfigError,
)
from bot.words.errors import picture_not_posted_card

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Slack has no command namespaces, so config and help carry the bot's name.
COMMANDS = {
    "/trending": "trending",
    "/surprises": "surprises",
    "/watch": "watch",
    "/trendbot-config": "config",
    "/trendbot-help": "help",
    "/trendbot-about": "about",
}
EVENTS_PATH = "/slack/events"
# Slack re-sends an event it thinks was not acknowledged, possibly to another replica: each
# event_id is handled once, remembered in the database for this long.
EVENT_MEMORY = timedelta(hours=1)
ACK_BUDGET = 2.0  # seconds an answer may take and still ride in the ack (Slack waits 3 s)
# Commands acked before any work: /watch's first use builds the title index in the event loop
# (measured 3.2 s on a shared 2-core machine), which no timer could interrupt to ack in time.
ACK_FIRST = frozenset({"watch"})
UPLOAD_REFUSED = frozenset({"not_in_channel", "channel_not_found"})
CLOSE_WAIT = 10.0  # seconds close() gives acked work to finish
DEFAULT_API = "https://slack.com/api/"


class _ClockAdapter(Clock):
    """slack_sdk's verifier clock, reading ours (tests pin it to Slack's documented example)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self) -> float:
        return float(self._clock().timestamp())


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SlackAdapter:
    """trendbot in Slack. Socket Mode: `await start_socket_mode()`. HTTP: serve `web_app()`."""

    platform = PLATFORM
    bundle_limit = 5  # alerts per message: each keeps ~9 of Slack's 50 blocks

    def __init__(
        self,
        core: Core,
        config: SlackConfig,
        *,
        client: AsyncWebClient | None = None,
        clock: Callable[[], datetime] | None = None,
        ack_budget: float = ACK_BUDGET,
    ) -> None:
        self.core = core
        self._config = config
        self._clock = clock or _utcnow
        self._ack_budget = ack_budget
        self._oauth = config.mode == "http" and bool(config.client_id and config.client_secret)
        _check(config, self._oauth)
        self._installs = (
            StoreInstallationStore(core.desk.installs, self._clock) if self._oauth else None
        )
        self._verifier = (
            SignatureVerifier(config.signing_secret, clock=_ClockAdapter(self._clock))
            if config.signing_secret
            else None
        )
        # one connection pool for every Web API call and response_url answer (slack_sdk would
        # otherwise open a new session, and a new TCP connection, per call)
        self._session = aiohttp.ClientSession()
        self._client = client or AsyncWebClient(
            token=None if self._oauth else config.bot_token,
            base_url=config.api_base or DEFAULT_API,
            retry_handlers=retry_handlers(),
            session=self._session,
        )
        self.people = SlackPeople(config, self._clock)
        self.sender = SlackSender(core.desk, config, self._client, self._session, self._installs)
        self.workspaces = SlackWorkspaces(
            core, self.people, self.sender, self._installs, self._later
        )
        self.app = AsyncApp(
            client=self._client,
            signing_secret=config.signing_secret or "",
            # the signature is checked in _events (with our clock) before Bolt sees the request
            request_verification_enabled=False,
            # the ack is the listener's return: no 10 ms polling for it per request; listeners
            # hand what may outlast Slack's 3 s to _later()
            process_before_response=True,
            oauth_settings=(
                oauth_settings(config, self._installs, self._clock, self.workspaces.installed)
                if self._installs is not None
                else None
            ),
        )
        self._register()
        self._socket: AsyncSocketModeHandler | None = None
        self._serving = False
        self._pending: set[asyncio.Future[None]] = set()  # work finishing after its ack

    # ---- transports ------------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        """HTTP routes: /slack/events; with OAuth also /slack/install, /slack/oauth_redirect."""
        app = web.Application()
        app.router.add_post(EVENTS_PATH, self._events)
        if self._oauth:
            app.router.add_get(INSTALL_PATH, partial(self._oauth_step, callback=False))
            app.router.add_get(REDIRECT_PATH, partial(self._oauth_step, callback=True))
        self._serving = True
        return app

    async def start(self) -> None:
        """Start the configured transport: Socket Mode connects; HTTP mode waits for requests
        on `web_app()`, which the service serves on its own port."""
        if self._config.mode == "socket":
            await self.start_socket_mode()

    async def start_socket_mode(self) -> None:
        """Connect to Slack over a websocket (no public URL needed); returns once connected."""
        if not self._config.app_token:
            raise ConfigError("Slack Socket Mode needs SLACK_APP_TOKEN (an xapp- token)")
        self._socket = AsyncSocketModeHandler(self.app, app_token=self._config.app_token)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack: connected in Socket Mode")

    async def close(self) -> None:
        if self._pending:  # answers already acked are owed: let them finish, for a while
            await asyncio.wait(set(self._pending), timeout=CLOSE_WAIT)
            late = list(self._pending)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        self._serving = False
        await self._session.close()

    @property
    def connected(self) -> bool:
        if self._socket is not None:
            client = self._socket.client
            session = client.current_session
            return not client.closed and session is not None and not session.closed
        return self._serving

    # ---- outbound: alerts go through the sender ------------------------------------------------

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post an alert (ChatAdapter)."""
        await self.sender.send(channel_id, card, dedupe_key)

    async def send_to(
        self, server_id: str | None, channel_id: str, card: Card, dedupe_key: str
    ) -> None:
        await self.sender.send_to(server_id, channel_id, card, dedupe_key)

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        await self.sender.send_bundle(server_id, channel_id, cards, dedupe_keys)

    async def was_sent(self, channel_id: str, dedupe_key: str, card: Card | None = None) -> bool:
        return await self.sender.was_sent(channel_id, dedupe_key, card)

    async def notify_admins(self, server_id: str, card: Card) -> None:
        await self.sender.notify_admins(server_id, card)

    # ---- HTTP endpoints -------------------------------------------------------------------------

    async def _once(self, body: dict[str, Any], next: Callable[[], Any]) -> BoltResponse | None:  # noqa: A002
        """Bolt middleware: an event Slack re-sends (late ack, another replica) is acked and
        dropped; the database remembers each event_id for EVENT_MEMORY."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.core.desk.first_time(
            "slack_event", str(event_id), EVENT_MEMORY
        ):
            log.info("Slack re-sent event %s; it was handled already", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self._signed(body, request.headers):
            log.info("Slack: refused a request with a missing, wrong or stale signature")
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers={key.lower(): value for key, value in request.headers.items()},
        )
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def _signed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        if self._verifier is None:
            return False
        try:
            return self._verifier.is_valid(
                body,
                headers.get("X-Slack-Request-Timestamp"),
                headers.get("X-Slack-Signature"),
            )
        except (ValueError, UnicodeDecodeError):
            return False

    async def _oauth_step(self, request: web.Request, *, callback: bool) -> web.Response:
        flow = self.app.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = AsyncBoltRequest(
            body="",
            query=request.query_string,
            headers={key.lower(): value for key, value in request.headers.items()},
        )
        handle = flow.handle_callback if callback else flow.handle_installation
        return await to_aiohttp_response(await handle(bolt_request))

    # ---- inbound: listeners ---------------------------------------------------------------------

    def _register(self) -> None:
        self.app.middleware(self._once)
        for command in COMMANDS:
            self.app.command(command)(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self.workspaces.on_home_opened)
        self.app.event("app_uninstalled")(self.workspaces.on_uninstalled)
        self.app.event("tokens_revoked")(self.workspaces.on_tokens_revoked)
        self.app.action(SAVE_ACTION)(self.workspaces.on_save)
        self.app.action(LINK_ACTION)(self._on_link)

    async def _on_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        name = COMMANDS[str(body.get("command"))]
        # only settings need to know whether the user is an admin (a users.info call)
        ctx = await self.people.context(context, client, admin=name == "config")
        work = asyncio.ensure_future(self.core.run_text(name, str(body.get("text") or ""), ctx))
        if name not in ACK_FIRST:
            done, _ = await asyncio.wait({work}, timeout=self._ack_budget)
            if work in done:  # Bolt's fast path: the answer rides in the ack itself
                card = work.result()
                text, blocks = laid_out(card)
                await ack(
                    text=text,
                    blocks=blocks,
                    response_type="ephemeral" if card.private else "in_channel",
                    unfurl_links=False,
                    unfurl_media=False,
                )
                if card.image is not None and not card.private:
                    self._later(self._picture(body, ctx, client, card.image))
                return
        # ack inside Slack's 3 s, answer through response_url when ready
        await ack()
        self._later(self._answer_later(body, ctx, client, work))

    async def _answer_later(
        self, body: dict[str, Any], ctx: Context, client: AsyncWebClient, work: Awaitable[Card]
    ) -> None:
        card = await work
        if await self.sender.respond(body, card) and card.image is not None and not card.private:
            await self._picture(body, ctx, client, card.image)

    async def _picture(
        self, body: dict[str, Any], ctx: Context, client: AsyncWebClient, image: Image
    ) -> None:
        refused = await self.sender.upload(client, ctx.channel_id, image)
        if refused in UPLOAD_REFUSED:  # the answer reached the channel, the picture cannot
            notice = await self.core.worded(ctx, picture_not_posted_card, PLATFORM)
            await self.sender.respond(body, notice)

    def _later(self, work: Awaitable[None]) -> None:
        """Finish a listener's work after its ack: Bolt answers Slack when the listener returns
        (process_before_response), so what may take longer runs on, kept until done."""
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack: answering failed", exc_info=task.exception())

    async def _on_mention(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        self._later(self._answer(event, context, client, dm=False))

    async def _on_message(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins and other bots' messages are not questions
        self._later(self._answer(event, context, client, dm=True))

    async def _answer(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, *, dm: bool
    ) -> None:
        # questions need no admin, but a reply that is not racing an ack can learn the
        # asker's language (users.info, remembered a while)
        ctx = await self.people.context(context, client, admin=False, learn=True)
        text = str(event.get("text") or "")
        card = await self.core.answer(text, ctx) or await self.core.run("help", {}, ctx)
        channel = str(event.get("channel") or ctx.channel_id)
        thread = event.get("thread_ts")
        await self.sender.reply(client, channel, ctx.user_id, card, dm=dm, thread_ts=thread)

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # link buttons open in the browser; Slack still expects an ack


def _check(config: SlackConfig, oauth: bool) -> None:
    """Refuse to start without the secrets the chosen mode needs, naming their env vars."""
    if config.mode == "socket":
        tokens = {"SLACK_BOT_TOKEN": config.bot_token, "SLACK_APP_TOKEN": config.app_token}
        missing = [name for name, value in tokens.items() if not value]
        if missing:
            raise ConfigError(f"Slack Socket Mode needs {' and '.join(missing)}")
        return
    if not config.signing_secret:
        raise ConfigError("Slack HTTP mode needs SLACK_SIGNING_SECRET")
    if not oauth and not config.bot_token:
        raise ConfigError(
            "Slack HTTP mode needs SLACK_BOT_TOKEN (one workspace) or "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (installs via OAuth)"
        )
