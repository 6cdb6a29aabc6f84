"""The Slack adapter: a slack-bolt AsyncApp over Socket Mode or HTTP (+ OAuth), Block Kit, App Home.

A translator only: a Slack payload becomes a Core call, the Card that comes back becomes Block Kit.
It decides nothing and words nothing; `bot/words` does both. Block Kit lives in slack_blocks,
the OAuth stores in slack_install.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack_blocks import (
    LINK_ACTION,
    MAX_MESSAGE_BLOCKS,
    SAVE_ACTION,
    Block,
    card_blocks,
    fallback_text,
    form_from_state,
    home_view,
)
from adapters.slack_install import (
    INSTALL_PATH,
    REDIRECT_PATH,
    StoreInstallationStore,
    oauth_settings,
    server_id_for,
    split_server_id,
)
from adapters.slack_web import delivery_error, retry_handlers, slack_error
from bot.config import SlackConfig
from bot.core import Core
from bot.errors import (
    ChannelUnavailable,
    ConfigError,
    TransientDeliveryError,
)
from bot.models import Card, Context, Image
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
HISTORY_MAX = 15  # messages conversations.history returns to non-Marketplace apps
UPLOAD_REFUSED = frozenset({"not_in_channel", "channel_not_found"})
# what a Web API call can end in besides an answer (SlackApiError is a SlackClientError)
_FAILED = (SlackClientError, aiohttp.ClientError, TimeoutError)
USER_CACHE_SECONDS = 300.0
CLOSE_WAIT = 10.0  # seconds close() gives acked work to finish
DEFAULT_API = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class _User:
    admin: bool
    locale: str  # as Slack says it, "pt-BR"; "" when unknown
    until: float  # remembered until then (clock seconds)


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
        self._users: dict[tuple[str, str], _User] = {}  # (workspace, user) → what users.info said
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
        self.app = AsyncApp(
            client=self._client,
            signing_secret=config.signing_secret or "",
            # the signature is checked in _events (with our clock) before Bolt sees the request
            request_verification_enabled=False,
            # the ack is the listener's return: no 10 ms polling for it per request; listeners
            # hand what may outlast Slack's 3 s to _later()
            process_before_response=True,
            oauth_settings=(
                oauth_settings(config, self._installs, self._clock, self._installed)
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
        if self._pending:  # answers already acked are owed: let them finish
            await asyncio.wait(set(self._pending), timeout=CLOSE_WAIT)
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

    # ---- outbound alerts ------------------------------------------------------------------------

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post an alert (ChatAdapter). With many workspaces, the channel's team is looked up."""
        server_id = await self._server_of(channel_id) if self._oauth else None
        await self.send_to(server_id, channel_id, card, dedupe_key)

    async def send_to(
        self, server_id: str | None, channel_id: str, card: Card, dedupe_key: str
    ) -> None:
        """Post a card to a channel of a known workspace; raises the typed DeliveryErrors."""
        client = await self._client_for(server_id)
        await self._post_message(
            client, channel_id, fallback_text(card), card_blocks(card), [dedupe_key]
        )
        if card.image is not None:
            await self._upload(client, channel_id, card.image)

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        """Several alerts as one message (BundleSender): their blocks one after another within
        Slack's 50, each alert's key in the message metadata (was_sent finds any of them)."""
        client = await self._client_for(server_id)
        share = MAX_MESSAGE_BLOCKS // len(cards) - 1
        blocks: list[Block] = []
        for card in cards:
            if blocks:
                blocks.append({"type": "divider"})
            blocks.extend(card_blocks(card, max_blocks=share))
        text = fallback_text(Card(title=" · ".join(c.title for c in cards)))
        await self._post_message(client, channel_id, text, blocks, dedupe_keys)

    async def _post_message(
        self,
        client: AsyncWebClient,
        channel_id: str,
        text: str,
        blocks: list[Block],
        keys: Sequence[str],
    ) -> None:
        try:
            await client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                # kept with the message so a later check can tell it was delivered
                metadata={"event_type": "trendbot_alert",
                          "event_payload": {"key": keys[0], "keys": ",".join(keys)}},
            )  # fmt: skip
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except _FAILED as exc:
            raise TransientDeliveryError(f"Slack: {type(exc).__name__}: {exc}") from None

    async def was_sent(self, channel_id: str, dedupe_key: str, card: Card | None = None) -> bool:
        """After a crash mid-send: is this alert already in the channel? (SentLookup)

        Alerts carry their dedupe key in message metadata; the newest messages (15, all a
        non-Marketplace app gets) are checked. When Slack will not say (the bot is not in the
        channel, history is rate-limited to 1 call a minute, Slack is down), the send is recorded,
        not repeated: a missing alert is better than a duplicate.
        """
        try:
            server_id = await self._server_of(channel_id) if self._oauth else None
            client = await self._client_for(server_id)
            found = await client.conversations_history(
                channel=channel_id, limit=HISTORY_MAX, include_all_metadata=True
            )
        except (SlackApiError, ChannelUnavailable, *_FAILED) as exc:
            why = slack_error(exc) if isinstance(exc, SlackApiError) else exc
            log.warning("cannot check Slack channel %s for %s (%s): recorded as sent, not "
                        "repeated", channel_id, dedupe_key, why)  # fmt: skip
            return True
        for message in found.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            keys = str(payload.get("keys") or "").split(",")
            if payload.get("key") == dedupe_key or dedupe_key in keys:
                return True
        return False

    async def notify_admins(self, server_id: str, card: Card) -> None:
        """Tell a workspace's admins (alerts paused): a DM to its installer and allow-listed admins.

        Without either (Socket Mode, no admin_user_ids) admins see the reason in App Home instead.
        """
        client = await self._client_for(server_id if self._oauth else None)
        users = list(self._config.admin_user_ids)
        if self._installs is not None:
            enterprise_id, team_id = split_server_id(server_id)
            found = await self._installs.async_find_installation(
                enterprise_id=enterprise_id, team_id=team_id
            )
            if found is not None and found.user_id:
                users.append(found.user_id)
        for user_id in dict.fromkeys(users):
            await self._post(client, user_id, user_id, card, dm=True)

    async def _server_of(self, channel_id: str) -> str:
        found = await self.core.desk.server_of_channel(PLATFORM, channel_id)
        if found is None:
            raise ChannelUnavailable("Slack: channel_not_found")
        return found

    async def _client_for(self, server_id: str | None) -> AsyncWebClient:
        if self._installs is None or server_id is None:
            return self._client
        enterprise_id, team_id = split_server_id(server_id)
        bot = await self._installs.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id:
            bot = await self._installs.async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        if bot is None:
            raise ChannelUnavailable("Slack: not_installed")
        if bot.bot_refresh_token:
            bot = await self._rotated(bot)
        return self._workspace_client(bot.bot_token)

    async def _rotated(self, bot: Any) -> Any:
        """A rotating bot token refreshed when it expires within 2 hours (as Bolt does for
        incoming requests), the new one saved."""
        assert self._installs is not None
        rotator = AsyncTokenRotator(
            client_id=self._config.client_id or "",
            client_secret=self._config.client_secret or "",
            client=self._client,
        )
        try:
            fresh = await rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=120)
        except (SlackClientError, *_FAILED) as exc:
            raise TransientDeliveryError(f"Slack: token refresh failed: {exc}") from None
        if fresh is None:
            return bot
        await self._installs.async_save_bot(fresh)
        return fresh

    def _workspace_client(self, token: str) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self._client.base_url,
            retry_handlers=self._client.retry_handlers,
            timeout=self._client.timeout,
            session=self._session,
        )

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

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.is_enterprise_install:  # an org-wide install: no one workspace to set up
            log.info("Slack: installed org-wide in enterprise %s", installation.enterprise_id)
            return await args.default.success(args)
        server_id = server_id_for(installation.enterprise_id, installation.team_id)
        client = self._workspace_client(installation.bot_token) if installation.bot_token else None
        # Slack tells apps no workspace language: the installer's stands for it
        locale = ""
        if client is not None and installation.user_id:
            locale = (await self._user(client, server_id, installation.user_id)).locale
        card = await self.core.server_joined(PLATFORM, server_id, locale)
        if client is not None and installation.user_id:
            await self._post(client, installation.user_id, installation.user_id, card, dm=True)
        return await args.default.success(args)

    # ---- inbound: listeners ---------------------------------------------------------------------

    def _register(self) -> None:
        self.app.middleware(self._once)
        for command in COMMANDS:
            self.app.command(command)(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.event("app_uninstalled")(self._on_uninstalled)
        self.app.event("tokens_revoked")(self._on_tokens_revoked)
        self.app.action(SAVE_ACTION)(self._on_save)
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
        ctx = await self._context(context, client, admin=name == "config")
        work = asyncio.ensure_future(self.core.run_text(name, str(body.get("text") or ""), ctx))
        if name not in ACK_FIRST:
            done, _ = await asyncio.wait({work}, timeout=self._ack_budget)
            if work in done:  # Bolt's fast path: the answer rides in the ack itself
                card = work.result()
                text, blocks = _laid_out(card)
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
        if await self._respond(body, card) and card.image is not None and not card.private:
            await self._picture(body, ctx, client, card.image)

    async def _picture(
        self, body: dict[str, Any], ctx: Context, client: AsyncWebClient, image: Image
    ) -> None:
        refused = await self._upload(client, ctx.channel_id, image)
        if refused in UPLOAD_REFUSED:  # the answer reached the channel, the picture cannot
            notice = await self.core.worded(ctx, picture_not_posted_card, PLATFORM)
            await self._respond(body, notice)

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

    async def _respond(self, body: dict[str, Any], card: Card) -> bool:
        """Answer a command through its response_url (5 uses within 30 minutes)."""
        try:
            answered = await AsyncWebhookClient(
                str(body.get("response_url")), session=self._session
            ).send(
                text=_laid_out(card)[0],
                blocks=_laid_out(card)[1],
                response_type="ephemeral" if card.private else "in_channel",
                unfurl_links=False,
                unfurl_media=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Slack: could not answer %s: %s", body.get("command"), exc)
            return False
        if answered.status_code >= 400:
            log.warning("Slack: answering %s got HTTP %s %s", body.get("command"),
                        answered.status_code, answered.body[:40])  # fmt: skip
            return False
        return True

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
        ctx = await self._context(context, client, admin=False, learn=True)
        text = str(event.get("text") or "")
        card = await self.core.answer(text, ctx) or await self.core.run("help", {}, ctx)
        channel = str(event.get("channel") or ctx.channel_id)
        thread = event.get("thread_ts")
        await self._post(client, channel, ctx.user_id, card, dm=dm, thread_ts=thread)

    async def _on_home_opened(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        self._later(self._home_opened(context, client))

    async def _home_opened(self, context: AsyncBoltContext, client: AsyncWebClient) -> None:
        await self._publish_home(client, await self._context(context, client))

    async def _on_save(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        self._later(self._save(body, context, client))

    async def _save(
        self, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        ctx = await self._context(context, client)
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        notice = await self.core.save_settings(form_from_state(values), ctx)
        await self._publish_home(client, ctx, notice)

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # link buttons open in the browser; Slack still expects an ack

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self._forget(context.enterprise_id, context.team_id)

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await self._forget(context.enterprise_id, context.team_id)
        elif self._installs is not None:
            for user_id in tokens.get("oauth") or ():
                await self._installs.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                )

    async def _forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        if self._installs is not None:
            await self._installs.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        if enterprise_id and not team_id:  # an org-wide uninstall: every workspace of the org
            gone = [server_id for server_id in await self.core.desk.server_ids(PLATFORM)
                    if server_id.startswith(f"{enterprise_id}:")]  # fmt: skip
        else:
            gone = [server_id_for(enterprise_id, team_id)]
        for server_id in gone:
            await self.core.server_removed(PLATFORM, server_id)
        self._users = {k: v for k, v in self._users.items() if k[0] not in gone}

    # ---- helpers --------------------------------------------------------------------------------

    async def _context(
        self,
        context: AsyncBoltContext,
        client: AsyncWebClient,
        *,
        admin: bool = True,
        learn: bool = False,
    ) -> Context:
        """Who asked where, and their language when known.

        users.info (with the user's locale) is called only where it is worth it: for admin
        answers (settings, App Home) and, with `learn`, replies that are not racing Slack's 3 s
        ack (mentions, DMs). Slash commands on the fast path use what an earlier call learned.
        An admin's language stands for the workspace's (Slack tells apps none of its own).
        """
        server_id = server_id_for(context.enterprise_id, context.team_id)
        user_id = context.user_id or ""
        channel = context.channel_id or ""
        known = self._users.get((server_id, user_id))
        if admin and not learn and user_id in self._config.admin_user_ids:
            # listed admins need no users.info; they get their language once an answer learns it
            return Context(
                PLATFORM, server_id, channel, user_id, True, known.locale if known else ""
            )
        if admin or learn:
            user = await self._user(client, server_id, user_id)
            is_admin = admin and (user.admin or user_id in self._config.admin_user_ids)
            return Context(PLATFORM, server_id, channel, user_id, is_admin, user.locale,
                           user.locale if user.admin else "")  # fmt: skip
        return Context(PLATFORM, server_id, channel, user_id, False, known.locale if known else "")

    async def _user(self, client: AsyncWebClient, server_id: str, user_id: str) -> _User:
        """Workspace admin/owner and locale per users.info; remembered for a few minutes."""
        if not user_id:
            return _User(False, "", 0.0)
        now = self._clock().timestamp()
        cached = self._users.get((server_id, user_id))
        if cached is not None and cached.until > now:
            return cached
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except _FAILED as exc:
            log.warning("Slack: users.info failed for %s; treating as non-admin: %s", user_id, exc)
            return _User(False, cached.locale if cached else "", 0.0)
        found = response.get("user") or {}
        user = _User(
            bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner")),
            str(found.get("locale") or ""),
            now + USER_CACHE_SECONDS,
        )
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[(server_id, user_id)] = user
        return user

    async def _publish_home(
        self, client: AsyncWebClient, ctx: Context, notice: Card | None = None
    ) -> None:
        view = home_view(await self.core.home(ctx), editable=ctx.is_admin, notice=notice)
        try:
            await client.views_publish(user_id=ctx.user_id, view=view)
        except _FAILED as exc:
            log.warning("Slack: could not publish App Home for %s: %s", ctx.user_id, exc)

    async def _post(
        self,
        client: AsyncWebClient,
        channel: str,
        user_id: str,
        card: Card,
        *,
        dm: bool,
        thread_ts: str | None = None,
    ) -> None:
        """Reply in a conversation; a private card in a shared channel goes to the asker only."""
        try:
            if card.private and not dm:
                await client.chat_postEphemeral(
                    channel=channel,
                    user=user_id,
                    text=fallback_text(card),
                    blocks=card_blocks(card),
                    thread_ts=thread_ts,
                )
                return
            await client.chat_postMessage(
                channel=channel,
                text=fallback_text(card),
                blocks=card_blocks(card),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except _FAILED as exc:
            log.warning("Slack: could not reply in %s: %s", channel, exc)
            return
        if card.image is not None:
            await self._upload(client, channel, card.image, thread_ts)

    async def _upload(
        self, client: AsyncWebClient, channel: str, image: Image, thread_ts: str | None = None
    ) -> str | None:
        """Upload a card's picture after it; on failure the card stays without it and the
        reason comes back (Slack's error code), None when the picture is there."""
        try:
            await client.files_upload_v2(
                channel=channel,
                file=image.data,
                filename=image.filename,
                title=image.description or image.filename,
                alt_txt=image.description or None,
                thread_ts=thread_ts,
            )
        except _FAILED as exc:
            why = slack_error(exc) if isinstance(exc, SlackApiError) else exc
            log.info("Slack: picture %s not uploaded to %s (%s)", image.filename, channel, why)
            return str(why)
        return None


@lru_cache(maxsize=256)
def _laid_out(card: Card) -> tuple[str, list[dict[str, Any]]]:
    """A command answer's fallback text and blocks, kept for the same card: many users ask for
    the same chart (the lists are only read and serialised, never changed)."""
    return fallback_text(card), card_blocks(card)


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
