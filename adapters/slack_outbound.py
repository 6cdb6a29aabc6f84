"""Slack outbound: alerts, replies, pictures and response_url answers, each with the right token.

The adapter's listeners and the notifier's deliveries both post through a SlackSender; it knows
which workspace a channel belongs to, picks (and rotates) that workspace's bot token and turns
Slack's answers into trendbot's typed delivery errors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.card_layouts import CardLayouts
from adapters.slack_blocks import MAX_MESSAGE_BLOCKS, Block, card_blocks, fallback_text
from adapters.slack_install import StoreInstallationStore, split_server_id
from adapters.slack_web import delivery_error, slack_error
from bot.cards import Card, Image
from bot.config import SlackConfig
from bot.desk import Desk
from bot.errors import ChannelUnavailable, TransientDeliveryError

log = logging.getLogger(__name__)

PLATFORM = "slack"
HISTORY_MAX = 15  # messages conversations.history returns to non-Marketplace apps
# what a Web API call can end in besides an answer (SlackApiError is a SlackClientError)
FAILED = (SlackClientError, aiohttp.ClientError, TimeoutError)


class SlackSender:
    """Posts to Slack for the adapter: one connection pool, the workspace's token per call."""

    def __init__(
        self,
        desk: Desk,
        config: SlackConfig,
        client: AsyncWebClient,
        session: aiohttp.ClientSession,
        installs: StoreInstallationStore | None,
    ) -> None:
        self._desk = desk
        self._config = config
        self._client = client
        self._session = session
        self._installs = installs
        self._oauth = installs is not None

    async def send(self, channel_id: str, card: Card, dedupe_key: str) -> None:
        """Post an alert (ChatAdapter). With many workspaces, the channel's team is looked up."""
        server_id = await self._server_of(channel_id) if self._oauth else None
        await self.send_to(server_id, channel_id, card, dedupe_key)

    async def send_to(
        self, server_id: str | None, channel_id: str, card: Card, dedupe_key: str
    ) -> None:
        """Post a card to a channel of a known workspace; raises the typed DeliveryErrors."""
        client = await self.client_for(server_id)
        await self._post_message(
            client, channel_id, fallback_text(card), card_blocks(card), [dedupe_key]
        )
        if card.image is not None:
            await self.upload(client, channel_id, card.image)

    async def send_bundle(
        self,
        server_id: str | None,
        channel_id: str,
        cards: Sequence[Card],
        dedupe_keys: Sequence[str],
    ) -> None:
        """Several alerts as one message (BundleSender): their blocks one after another within
        Slack's 50, each alert's key in the message metadata (was_sent finds any of them)."""
        client = await self.client_for(server_id)
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
        except FAILED as exc:
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
            client = await self.client_for(server_id)
            found = await client.conversations_history(
                channel=channel_id, limit=HISTORY_MAX, include_all_metadata=True
            )
        except (SlackApiError, ChannelUnavailable, *FAILED) as exc:
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
        client = await self.client_for(server_id if self._oauth else None)
        users = list(self._config.admin_user_ids)
        if self._installs is not None:
            enterprise_id, team_id = split_server_id(server_id)
            found = await self._installs.async_find_installation(
                enterprise_id=enterprise_id, team_id=team_id
            )
            if found is not None and found.user_id:
                users.append(found.user_id)
        for user_id in dict.fromkeys(users):
            await self.reply(client, user_id, user_id, card, dm=True)

    async def _server_of(self, channel_id: str) -> str:
        found = await self._desk.server_of_channel(PLATFORM, channel_id)
        if found is None:
            raise ChannelUnavailable("Slack: channel_not_found")
        return found

    async def client_for(self, server_id: str | None) -> AsyncWebClient:
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
        return self.workspace_client(bot.bot_token)

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
        except (SlackClientError, *FAILED) as exc:
            raise TransientDeliveryError(f"Slack: token refresh failed: {exc}") from None
        if fresh is None:
            return bot
        await self._installs.async_save_bot(fresh)
        return fresh

    def workspace_client(self, token: str) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self._client.base_url,
            retry_handlers=self._client.retry_handlers,
            timeout=self._client.timeout,
            session=self._session,
        )

    async def respond(self, body: dict[str, Any], card: Card) -> bool:
        """Answer a command through its response_url (5 uses within 30 minutes)."""
        text, blocks = laid_out(card)
        try:
            answered = await AsyncWebhookClient(
                str(body.get("response_url")), session=self._session
            ).send(
                text=text,
                blocks=blocks,
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

    async def reply(
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
        except FAILED as exc:
            log.warning("Slack: could not reply in %s: %s", channel, exc)
            return
        if card.image is not None:
            await self.upload(client, channel, card.image, thread_ts)

    async def upload(
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
        except FAILED as exc:
            why = slack_error(exc) if isinstance(exc, SlackApiError) else exc
            log.info("Slack: picture %s not uploaded to %s (%s)", image.filename, channel, why)
            return str(why)
        return None


def _text_and_blocks(card: Card) -> tuple[str, list[dict[str, Any]]]:
    return fallback_text(card), card_blocks(card)


# a command answer's fallback text and blocks: many users ask for the same chart
laid_out = CardLayouts(_text_and_blocks)
