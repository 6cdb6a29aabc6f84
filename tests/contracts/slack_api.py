"""Slack's Web API contract: each call checked against the official Web API spec (method exists,
arguments known, required ones present, types), the token's scopes, and every Block Kit payload
through slack_sdk's block models plus the documented limits those models do not check.

The spec is slackapi/slack-api-specs' Swagger 2.0 file (tests/data/specs/README.md). It stopped in
October 2020: what Slack added since and trendbot uses is on the commented lists below. A call
with anything else fails the test that made it; the fake answers it as Slack would
(`unknown_method`, `invalid_arguments`, `missing_scope`, `invalid_blocks`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from tests.contracts import load_spec

SPEC = "slack_web_openapi_v2_without_examples.json.xz"
MANIFEST_SCHEMA = "slack_manifest.schema.1.0.0.json"

# Methods Slack added after its spec (name → arguments and their types, required, scopes, page).
NEW_METHODS: dict[str, tuple[dict[str, str], frozenset[str], frozenset[str], str]] = {
    # 2024: the replacement of files.upload, which slack_sdk's files_upload_v2 calls
    "files.getUploadURLExternal": (
        {"filename": "string", "length": "integer", "alt_txt": "string", "snippet_type": "string"},
        frozenset({"filename", "length"}),
        frozenset({"files:write"}),
        "docs.slack.dev/reference/methods/files.getUploadURLExternal",
    ),
    "files.completeUploadExternal": (
        {
            "files": "json",
            "channel_id": "string",
            "channels": "string",
            "initial_comment": "string",
            "thread_ts": "string",
            "blocks": "json",
        },  # fmt: skip
        frozenset({"files"}),
        frozenset({"files:write"}),
        "docs.slack.dev/reference/methods/files.completeUploadExternal",
    ),
    # Socket Mode (2021): called with the app-level token
    "apps.connections.open": (
        {},
        frozenset(),
        frozenset({"connections:write"}),
        "docs.slack.dev/reference/methods/apps.connections.open",
    ),  # fmt: skip
}
# Arguments Slack added to methods that are in the spec: (method, argument) → (type, page).
NEW_ARGUMENTS: dict[tuple[str, str], tuple[str, str]] = {
    # Message metadata (2022): alerts carry their dedupe key; history returns it on request
    ("chat.postMessage", "metadata"): ("json", "docs.slack.dev/messaging/message-metadata"),
    ("conversations.history", "include_all_metadata"): (
        "boolean",
        "docs.slack.dev/reference/methods/conversations.history",
    ),  # fmt: skip
    # Token rotation (2021): a refresh token is exchanged at oauth.v2.access
    ("oauth.v2.access", "grant_type"): (
        "string",
        "docs.slack.dev/authentication/using-token-rotation",
    ),
    ("oauth.v2.access", "refresh_token"): (
        "string",
        "docs.slack.dev/authentication/using-token-rotation",
    ),  # fmt: skip
}
# Bolt adds `team_id` to every call a listener's client makes (needed by org-wide apps: "required
# if an org token is used"); Slack accepts it on every method.
ANY_METHOD_ARGUMENTS = {"team_id": "string"}
# The spec types Block Kit and other structures as JSON-encoded strings (form posts); a JSON body
# carries them as arrays and objects, which Slack accepts (docs.slack.dev/apis/web-api: JSON).
JSON_ARGUMENTS = frozenset({"blocks", "attachments", "view", "metadata", "files"})
# oauth.v2.access needs `code` only for a first install, not to refresh a rotating token.
REQUIRED_UNLESS = {("oauth.v2.access", "code"): ("grant_type", "refresh_token")}

# Block Kit limits slack_sdk's models do not check (docs.slack.dev/reference/block-kit/blocks).
MESSAGE_BLOCKS_MAX = 50
HOME_BLOCKS_MAX = 100
CONTEXT_ELEMENTS_MAX = 10
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
FIELD_TEXT_MAX = 2000
OPTIONS_MAX = 100
TEXT_MAX = 40_000  # chat.postMessage: text beyond 40,000 characters is truncated


@dataclass(frozen=True, slots=True)
class Method:
    arguments: dict[str, str]  # name → type
    required: frozenset[str]
    scopes: frozenset[str]  # any one of them will do; empty: none needed


def _granular(scope: str) -> str:
    # the spec lists classic scopes ("chat:write:bot"); apps hold the granular "chat:write"
    for suffix in (":bot", ":user"):
        if scope.endswith(suffix):
            return scope.removesuffix(suffix)
    return scope


@cache
def methods() -> dict[str, Method]:
    spec = load_spec(SPEC)
    found = {}
    for path, item in spec["paths"].items():
        for op in item.values():
            params = [p for p in op.get("parameters", []) if p["name"] != "token"]
            scopes = {
                _granular(s) for sec in op.get("security", []) for s in sec.get("slackAuth", [])
            }
            found[path.lstrip("/")] = Method(
                {p["name"]: p.get("type", "string") for p in params},
                frozenset(p["name"] for p in params if p.get("required")),
                frozenset(scopes - {"none"}),
            )
    for name, (arguments, required, scopes, _page) in NEW_METHODS.items():
        found[name] = Method(arguments, required, scopes)
    for (name, argument), (kind, _page) in NEW_ARGUMENTS.items():
        found[name].arguments[argument] = kind
    return found


@dataclass(frozen=True, slots=True)
class Refusal:
    """What Slack answers a call that breaks the contract."""

    error: str
    detail: str
    extra: Mapping[str, Any]


def check_call(method: str, args: Mapping[str, Any], scopes: frozenset[str]) -> Refusal | None:
    """None when Slack would accept the call's shape and the token may make it."""
    spec = methods().get(method)
    if spec is None:
        return Refusal("unknown_method", f"{method} is not a Slack Web API method", {})
    problems = []
    for name, value in args.items():
        kind = spec.arguments.get(name) or ANY_METHOD_ARGUMENTS.get(name)
        if kind is None:
            problems.append(f"{name}: not an argument of {method}")
        elif not _typed(kind, name, value):
            problems.append(f"{name}: {value!r:.80} is not a {kind}")
    for name in spec.required - set(args):
        unless = REQUIRED_UNLESS.get((method, name))
        if unless is None or args.get(unless[0]) != unless[1]:
            problems.append(f"{name}: required")
    if problems:
        return Refusal("invalid_arguments", "; ".join(problems), {"response_metadata":
                       {"messages": [f"[ERROR] {p}" for p in problems]}})  # fmt: skip
    needed = _needed_scopes(method, spec, args)
    if needed and not needed & scopes:
        return Refusal(
            "missing_scope",
            f"{method} needs {' or '.join(sorted(needed))}",
            {"needed": ",".join(sorted(needed)), "provided": ",".join(sorted(scopes))},
        )
    return None


def _needed_scopes(method: str, spec: Method, args: Mapping[str, Any]) -> frozenset[str]:
    if method == "conversations.history":  # the scope of the conversation's kind
        kind = {"C": "channels", "G": "groups", "D": "im"}.get(str(args.get("channel", "C"))[:1])
        return frozenset({f"{kind or 'mpim'}:history"})
    return spec.scopes


def _typed(kind: str, name: str, value: Any) -> bool:
    """Form posts carry strings; JSON bodies typed values. Either form of the type will do."""
    if kind == "json" or name in JSON_ARGUMENTS:
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                return False
            return True
        return isinstance(value, list | dict)
    schema = {"type": {"string": "string", "boolean": "boolean", "integer": "integer",
                       "number": "number"}.get(kind, "string")}  # fmt: skip
    if isinstance(value, str) and kind != "string":
        value = _parse(kind, value)
    return not list(Draft7Validator(schema).iter_errors(value))


def _parse(kind: str, text: str) -> Any:
    if kind == "boolean":
        return {"true": True, "false": False, "1": True, "0": False}.get(text.lower(), text)
    try:
        return int(text) if kind == "integer" else float(text)
    except ValueError:
        return text


# ---- Block Kit ------------------------------------------------------------------------------


def block_problems(blocks: Any, *, home: bool = False) -> list[str]:
    """What Slack refuses as invalid_blocks: slack_sdk's models, then the documented limits."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    limit = HOME_BLOCKS_MAX if home else MESSAGE_BLOCKS_MAX
    problems = [f"{len(blocks)} blocks, more than {limit}"] if len(blocks) > limit else []
    for n, block in enumerate(blocks):
        try:
            Block.parse(block).to_dict()  # type: ignore[union-attr]
        except (SlackObjectFormationError, AttributeError, KeyError, TypeError) as exc:
            problems.append(f"blocks[{n}] ({block.get('type')}): {exc}")
        problems += [f"blocks[{n}] ({block.get('type')}): {p}" for p in _limits(block, home)]
    return problems


def _limits(block: Mapping[str, Any], home: bool) -> list[str]:
    kind = block.get("type")
    problems = []
    if kind == "input" and not home:
        problems.append("input blocks belong in modals and App Home, not messages")
    if kind == "header" and not 1 <= len(block["text"]["text"]) <= HEADER_TEXT_MAX:
        problems.append(f"header text must be 1 to {HEADER_TEXT_MAX} characters")
    if kind == "section" and any(not f.get("text") or len(f["text"]) > FIELD_TEXT_MAX
                                 for f in block.get("fields", [])):  # fmt: skip
        problems.append(f"each field must be 1 to {FIELD_TEXT_MAX} characters")
    if kind == "context" and len(block.get("elements", [])) > CONTEXT_ELEMENTS_MAX:
        problems.append(f"a context block holds at most {CONTEXT_ELEMENTS_MAX} elements")
    for element in [block.get("element") or {}, *block.get("elements", [])]:
        text = (element.get("text") or {}) if element.get("type") == "button" else {}
        if text and not 1 <= len(text.get("text", "")) <= BUTTON_TEXT_MAX:
            problems.append(f"button text must be 1 to {BUTTON_TEXT_MAX} characters")
        if len(element.get("options", [])) > OPTIONS_MAX:
            problems.append(f"at most {OPTIONS_MAX} options")
    return problems


def message_problems(body: Mapping[str, Any]) -> list[str]:
    """A message (chat.postMessage, chat.postEphemeral, a response_url answer)."""
    blocks = body.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not body.get("text") and not blocks:
        return ["a message needs text or blocks"]
    text = body.get("text") or ""
    problems = [f"text longer than {TEXT_MAX}"] if len(text) > TEXT_MAX else []
    return problems + block_problems(blocks or [])
