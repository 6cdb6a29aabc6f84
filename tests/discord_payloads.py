"""Discord API v10 payloads for the fake Discord: factories (like dpytest's factories.py) and the
limits Discord checks on what a bot sends.

discord.py 2.7 indexes many fields with [] (members need `flags`, interactions need `version`,
`attachment_size_limit` …), so every payload the fake sends is built here, in one place to update
when a discord.py upgrade starts asking for a new field.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

# Permission bits (https://discord.com/developers/docs/topics/permissions)
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY

EMPTY_MESSAGE = "Cannot send an empty message"
TEXT_CHANNEL = 0
DM_CHANNEL = 1


def snowflake() -> int:
    """A fresh, increasing snowflake id (milliseconds << 22 | counter); each one a ms later, so
    guilds spread over shards as (id >> 22) % shard_count does in Discord."""
    n = next(_counter)
    ms = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000) - DISCORD_EPOCH_MS + n
    return (ms << 22) | (n & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(
    user_payload: dict[str, Any], *, roles: Sequence[int] = (), permissions: int | None = None
) -> dict[str, Any]:
    """A guild member; `permissions` is what interactions carry (resolved in the channel)."""
    data: dict[str, Any] = {
        "user": user_payload,
        "nick": None,
        "roles": [str(r) for r in roles],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "avatar": None,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(role_id: int, name: str, permissions: int, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def overwrite(target_id: int, *, allow: int = 0, deny: int = 0, kind: int = 0) -> dict[str, Any]:
    """A permission overwrite; kind 0 = role, 1 = member."""
    return {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}


def text_channel(
    channel_id: int,
    guild_id: int,
    name: str,
    *,
    position: int = 0,
    overwrites: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": TEXT_CHANNEL,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": overwrites or [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": DM_CHANNEL,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
    everyone_permissions: int = MEMBER,
    roles: Sequence[dict[str, Any]] = (),
    system_channel_id: int | None = None,
    preferred_locale: str = "en-US",
) -> dict[str, Any]:
    """A full GUILD_CREATE payload (the @everyone role's id is the guild id)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role(guild_id, "@everyone", everyone_permissions), *roles],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(system_channel_id) if system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": preferred_locale,
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": now_iso(),
        "large": False,
        "unavailable": False,
        "member_count": len(members),
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(app_id: int, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(app_id),
        "name": "trendbot",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "interactions_endpoint_url": None,
    }


def ready(
    bot_user: dict[str, Any],
    app_id: int,
    guild_ids: list[int],
    *,
    session_id: str,
    resume_url: str,
    shard: list[int] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "v": 10,
        "user": bot_user,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "application": {"id": str(app_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "_trace": ["fake-discord"],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def option(name: str, value: Any, *, kind: int = 3, focused: bool = False) -> dict[str, Any]:
    """A leaf command option (kind 3 string, 4 integer, 7 channel)."""
    data: dict[str, Any] = {"name": name, "type": kind, "value": value}
    if focused:
        data["focused"] = True
    return data


def interaction(
    *,
    interaction_id: int,
    app_id: int,
    token: str,
    kind: int,
    data: dict[str, Any],
    channel: dict[str, Any],
    guild_id: int | None,
    invoker: dict[str, Any],
    permissions: int,
    locale: str = "en-GB",
    guild_locale: str = "en-US",
) -> dict[str, Any]:
    """INTERACTION_CREATE (kind 2 application command, 4 autocomplete); `locale` is the user's
    client language, `guild_locale` the guild's preferred one."""
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(app_id),
        "type": kind,
        "data": data,
        "channel": channel,
        "channel_id": channel["id"],
        "token": token,
        "version": 1,
        "locale": locale,
        "app_permissions": str(MEMBER),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)}
        if guild_id
        else {"1": invoker["id"]},
        "context": 0 if guild_id else 1,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = guild_locale
        payload["guild"] = {"id": str(guild_id), "locale": guild_locale, "features": []}
        payload["member"] = member(invoker, permissions=permissions)
    else:
        payload["user"] = invoker
    return payload


def command_data(
    command_id: int,
    path: list[str],
    options: list[dict[str, Any]],
    *,
    resolved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`data` of a chat-input command; path ["config", "regions", "add"] nests subcommands."""
    nested = options
    for depth in range(len(path) - 1, 0, -1):
        kind = 1 if depth == len(path) - 1 else 2  # SUB_COMMAND, then SUB_COMMAND_GROUP
        nested = [{"name": path[depth], "type": kind, "options": nested}]
    data: dict[str, Any] = {"id": str(command_id), "name": path[0], "type": 1, "options": nested}
    if resolved:
        data["resolved"] = resolved
    return data


def message(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    content: str = "",
    guild_id: int | None = None,
    author_member: dict[str, Any] | None = None,
    mentions: Sequence[dict[str, Any]] = (),
    embeds: Sequence[dict[str, Any]] = (),
    attachments: Sequence[dict[str, Any]] = (),
    components: Sequence[dict[str, Any]] = (),
    flags: int = 0,
    nonce: str | None = None,
    webhook_id: int | None = None,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if author_member is not None:
        data["member"] = {k: v for k, v in author_member.items() if k != "user"}
    if nonce is not None:
        data["nonce"] = nonce
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if reference is not None:
        data["message_reference"] = reference
    return data


def attachment(attachment_id: int, filename: str, size: int, content_type: str) -> dict[str, Any]:
    url = f"https://cdn.example.invalid/attachments/{attachment_id}/{filename}"
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }


def error(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


# ---- Discord's rules for what a bot sends (400 50035 Invalid Form Body) -------------------------


def message_errors(data: dict[str, Any], has_files: bool = False) -> dict[str, str]:
    """What Discord would reject in a message body, by field path (empty when it is fine)."""
    errors: dict[str, str] = {}
    content = data.get("content") or ""
    if len(content) > 2000:
        errors["content"] = "Must be 2000 or fewer in length."
    embeds = data.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = "Must be 10 or fewer in length."
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in (("title", 256), ("description", 4096)):
            total += len(embed.get(key) or "")
            if len(embed.get(key) or "") > limit:
                errors[f"embeds.{i}.{key}"] = f"Must be {limit} or fewer in length."
        footer = (embed.get("footer") or {}).get("text") or ""
        total += len(footer)
        if len(footer) > 2048:
            errors[f"embeds.{i}.footer.text"] = "Must be 2048 or fewer in length."
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
        for j, f in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                text = f.get(key) or ""
                total += len(text)
                if not text.strip() or len(text) > limit:
                    errors[f"embeds.{i}.fields.{j}.{key}"] = f"Must be between 1 and {limit}."
    if total > 6000:
        errors["embeds"] = "Embed size exceeds maximum size of 6000"
    rows = data.get("components") or []
    if len(rows) > 5:
        errors["components"] = "Must be 5 or fewer in length."
    for i, row in enumerate(rows):
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            errors[f"components.{i}"] = "An action row holds 1 to 5 components."
        for j, b in enumerate(buttons):
            if b.get("style") == 5 and not str(b.get("url", "")).startswith(
                ("https://", "http://")
            ):
                errors[f"components.{i}.components.{j}.url"] = "Not a well formed URL."
            if len(b.get("label") or "") > 80:
                errors[f"components.{i}.components.{j}.label"] = "Must be 80 or fewer in length."
    if not (content or embeds or has_files or rows):
        errors["content"] = EMPTY_MESSAGE
    return errors


def choices_errors(data: dict[str, Any]) -> dict[str, str]:
    """What Discord would reject in an autocomplete result."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        return {"choices": "This field is required"}
    errors = {}
    if len(choices) > 25:
        errors["choices"] = "Must be 25 or fewer in length."
    for i, c in enumerate(choices):
        if not 1 <= len(str(c.get("name", ""))) <= 100:
            errors[f"choices.{i}.name"] = "Must be between 1 and 100 in length."
        if isinstance(c.get("value"), str) and len(c["value"]) > 100:
            errors[f"choices.{i}.value"] = "Must be 100 or fewer in length."
    return errors


def invalid_form_body(errors: dict[str, str]) -> dict[str, Any]:
    """Discord's 400 body for field errors, nested by path like the real one."""
    nested: dict[str, Any] = {}
    for path, text in errors.items():
        node = nested
        for part in path.split("."):
            node = node.setdefault(part, {})
        node["_errors"] = [{"code": "BASE_TYPE_INVALID", "message": text}]
    return error(50035, "Invalid Form Body", nested)


def without_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """What the gateway sends without the message-content intent (mentions and DMs keep it)."""
    mentioned = any(int(u["id"]) == bot_id for u in data.get("mentions", []))
    if mentioned or "guild_id" not in data:
        return data
    return data | {"content": "", "embeds": [], "attachments": [], "components": []}
