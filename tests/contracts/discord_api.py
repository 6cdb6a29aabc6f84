"""Discord's REST contract: every request checked against the official OpenAPI spec (method, path,
query, JSON body) plus the documented rules the spec does not carry.

The spec is discord/discord-api-spec's `specs/openapi.json` (tests/data/specs/README.md). Its
schemas are JSON Schema 2020-12, validated by `jsonschema` with `$ref`s resolved in place by
`referencing`. A finding not on ALLOWED (each entry says why Discord accepts it) fails the test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.contracts import load_spec

SPEC = "discord_openapi.json.xz"
_URN = "urn:discord-openapi"

# Findings Discord accepts although the spec says otherwise: (HTTP method, path template, regex
# over the finding) → why. Two documented leniencies are applied before checking instead, so they
# need no entry: boolean query strings (discord.py's `with_response=1`; Reference → Boolean Query
# Strings: True/true/1, False/false/0) and snowflakes sent as JSON integers (discord.py sends
# `message_reference` ids and a new upload's attachment index as numbers; Reference → Snowflakes
# and Uploading Files: `"attachments": [{"id": 0, …}]`), which the spec types as strings.
ALLOWED: dict[tuple[str, str, str], str] = {}

# Documented limits the spec does not encode (each with the page that states it).
CONTENT_MAX = 2000  # Create Message: "up to 2000 characters" (the spec allows 4000, Nitro users')
EMBEDS_TOTAL_MAX = 6000  # Message → Embed Limits: the sum over every embed of a message
COMMAND_TOTAL_MAX = 8000  # Application Commands → "Registering a Command": name, description,
# value, localizations … of a command, its options and choices, together
_NAME_EXTRA = frozenset("-_'")  # Application Command Naming: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]
LINK = 5


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    path_params: dict[str, str]  # name → JSON pointer of its schema in the spec
    query: dict[str, str]
    body: str | None  # JSON pointer of the application/json schema


@cache
def _registry() -> Registry:
    return Registry().with_resource(_URN, Resource(load_spec(SPEC), DRAFT202012))


@cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{_URN}#{pointer}"}, registry=_registry())


@cache
def _operations() -> tuple[_Operation, ...]:
    spec = load_spec(SPEC)
    found = []
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, …
        regex = "".join(
            f"(?P<{part}>[^/]+)" if n % 2 else re.escape(part) for n, part in enumerate(parts)
        )
        for method, op in item.items():
            if method == "parameters":
                continue
            base = f"/paths/{_escape(template)}"
            params = [(f"{base}/parameters/{n}", p) for n, p in enumerate(shared)]
            params += [(f"{base}/{method}/parameters/{n}", p)
                       for n, p in enumerate(op.get("parameters", []))]  # fmt: skip
            path = {p["name"]: f"{at}/schema" for at, p in params if p["in"] == "path"}
            query = {p["name"]: f"{at}/schema" for at, p in params if p["in"] == "query"}
            content = (op.get("requestBody") or {}).get("content", {})
            json_body = "schema" in content.get("application/json", {})
            body = (
                f"{base}/{method}/requestBody/content/application~1json/schema"
                if json_body
                else None
            )
            found.append(_Operation(method.upper(), template, re.compile(regex), path, query, body))
    # literal segments (/users/@me) before parameters (/users/{user_id})
    found.sort(key=lambda o: (o.template.count("{"), -len(o.template)))
    return tuple(found)


def find_operation(method: str, path: str) -> tuple[_Operation | None, dict[str, str]]:
    """The spec's operation for a request path below /api/v10, and its path parameters."""
    for op in _operations():
        match = op.pattern.fullmatch(path)
        if match is not None and op.method == method:
            return op, match.groupdict()
    return None, {}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _resolve(pointer: str) -> Any:
    return _registry().resolver().lookup(f"{_URN}#{pointer}").contents


def _schema_errors(pointer: str, value: Any, where: str) -> list[str]:
    validator = _validator(pointer)
    return [
        f"{where}{_at(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(value)
    ]


def _at(path: Iterable[Any]) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return parts


def _coerce(schema: Any, raw: str) -> Any:
    """A query string value as the type its schema asks for (Discord's documented forms)."""
    kinds = schema.get("type") if isinstance(schema, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "boolean" in kinds and raw in ("True", "true", "1", "False", "false", "0"):
        return raw in ("True", "true", "1")
    if "integer" in kinds and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def check(
    method: str,
    path: str,
    query: Mapping[str, str],
    body: Any,
    *,
    multipart_fields: Iterable[str] = (),
) -> list[str]:
    """Every way a request breaks Discord's contract (empty when Discord would accept it)."""
    op, params = find_operation(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in Discord's API"]
    label = f"{method} {op.template}"
    problems = []
    for name, value in params.items():
        if name in op.path_params:
            problems += _schema_errors(op.path_params[name], value, f"path {name}")
    for name, value in query.items():
        if name not in op.query:
            problems.append(f"query {name}: not a parameter of this operation")
            continue
        pointer = op.query[name]
        problems += _schema_errors(pointer, _coerce(_resolve(pointer), value), f"query {name}")
    for name in multipart_fields:
        if name != "payload_json" and not re.fullmatch(r"files\[\d+\]", name):
            problems.append(f"multipart {name}: only payload_json and files[n] are sent")
    if body is not None:
        if op.body is None:
            problems.append("body: this operation takes no JSON body")
        else:
            problems += _schema_errors(op.body, _snowflakes_as_strings(body), "body")
            problems += documented_rules(op.template, method, body)
    return [f"{label}: {p}" for p in problems if not _allowed(method, op.template, p)]


def _snowflakes_as_strings(value: Any, key: str = "") -> Any:
    """Integer ids (`id`, `…_id`) as the strings the spec types them as."""
    if isinstance(value, dict):
        return {k: _snowflakes_as_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_snowflakes_as_strings(v, key) for v in value]
    is_id = key == "id" or key.endswith("_id")
    if is_id and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


def _allowed(method: str, template: str, problem: str) -> bool:
    return any(
        m == method and t == template and re.search(pattern, problem) for (m, t, pattern) in ALLOWED
    )


# ---- the documented rules -------------------------------------------------------------------


def documented_rules(template: str, method: str, body: Any) -> list[str]:
    """Rules stated in Discord's docs that the OpenAPI schemas do not express."""
    if template.endswith("/commands") and method == "PUT" and isinstance(body, list):
        return [p for n, command in enumerate(body) for p in command_rules(command, f"body[{n}]")]
    if template.endswith("/callback") and isinstance(body, dict):
        data = body.get("data")
        return message_rules(data, "body.data") if body.get("type") in (4, 7) and data else []
    if isinstance(body, dict) and (
        template.endswith("/messages")
        or template.startswith("/webhooks/")
        and method in ("POST", "PATCH")
    ):
        return message_rules(body, "body")
    return []


def message_rules(message: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    if len(message.get("content") or "") > CONTENT_MAX:
        problems.append(f"{where}.content: more than {CONTENT_MAX} characters")
    total = sum(_embed_length(e) for e in message.get("embeds") or [])
    if total > EMBEDS_TOTAL_MAX:
        problems.append(f"{where}.embeds: {total} characters in all, more than {EMBEDS_TOTAL_MAX}")
    for i, row in enumerate(message.get("components") or []):
        for j, button in enumerate(row.get("components") or []):
            problems += _button_rules(button, f"{where}.components[{i}].components[{j}]")
    return problems


def _embed_length(embed: Mapping[str, Any]) -> int:
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    return size + sum(len(f.get("name") or "") + len(f.get("value") or "")
                      for f in embed.get("fields") or [])  # fmt: skip


def _button_rules(button: Mapping[str, Any], where: str) -> list[str]:
    """Message Components → Button: link buttons have a url and no custom_id, others the reverse;
    a label or an emoji is required."""
    if button.get("type") != 2:
        return []
    problems = []
    link = button.get("style") == LINK
    if link and (not button.get("url") or button.get("custom_id")):
        problems.append(f"{where}: a link button needs a url and no custom_id")
    if not link and (button.get("url") or not button.get("custom_id")):
        problems.append(f"{where}: a non-link button needs a custom_id and no url")
    if not button.get("label") and not button.get("emoji"):
        problems.append(f"{where}: a button needs a label or an emoji")
    return problems


def _valid_name(name: str, chat_input: bool) -> bool:
    if not 1 <= len(name) <= 32:
        return False
    for char in name:
        kind = unicodedata.category(char)
        if not (kind.startswith(("L", "N")) or char in _NAME_EXTRA):
            return False
    # "CHAT_INPUT command names and options must be lowercase" where the script has case
    return not chat_input or name == name.lower()


def command_rules(command: Mapping[str, Any], where: str) -> list[str]:
    """Application Commands: naming, descriptions, option order and the 8,000-character total."""
    chat_input = command.get("type", 1) in (1, None)
    problems = []
    if "dm_permission" in command:
        problems.append(f"{where}.dm_permission: deprecated, use contexts")
    problems += _named(command, where, chat_input)
    total = _option_rules(command.get("options") or [], f"{where}.options", problems)
    total += len(command.get("name") or "") + len(command.get("description") or "")
    if total > COMMAND_TOTAL_MAX:
        problems.append(f"{where}: {total} characters in all, more than {COMMAND_TOTAL_MAX}")
    return problems


# Reference → Locales: the languages Discord offers (and so the only localization keys it takes)
DISCORD_LOCALES = frozenset(
    "id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR ro fi sv-SE vi tr cs el bg "
    "ru uk hi th zh-CN ja zh-TW ko".split()
)


def _named(node: Mapping[str, Any], where: str, chat_input: bool) -> list[str]:
    problems = []
    if not _valid_name(str(node.get("name") or ""), chat_input):
        problems.append(f"{where}.name: {node.get('name')!r} breaks the naming rules")
    if chat_input and not 1 <= len(node.get("description") or "") <= 100:
        problems.append(f"{where}.description: must be 1 to 100 characters")
    return problems + _localized(node, where, chat_input)


def _localized(node: Mapping[str, Any], where: str, chat_input: bool) -> list[str]:
    """Localization: keys are Discord locales; each localized name follows the naming rules,
    each localized description is 1 to 100 characters."""
    problems = []
    for field in ("name_localizations", "description_localizations"):
        for locale, text in (node.get(field) or {}).items():
            at = f"{where}.{field}.{locale}"
            if locale not in DISCORD_LOCALES:
                problems.append(f"{at}: not a Discord locale")
            elif not isinstance(text, str):
                problems.append(f"{at}: must be a string")
            elif field == "name_localizations" and not _valid_name(text, chat_input):
                problems.append(f"{at}: {text!r} breaks the naming rules")
            elif field == "description_localizations" and not 1 <= len(text) <= 100:
                problems.append(f"{at}: must be 1 to 100 characters")
    return problems


def _choice_rules(choice: Mapping[str, Any], where: str) -> list[str]:
    """Application Command Option Choice: a name (and each localization of it) of 1 to 100."""
    problems = []
    if not 1 <= len(str(choice.get("name") or "")) <= 100:
        problems.append(f"{where}.name: must be 1 to 100 characters")
    for locale, text in (choice.get("name_localizations") or {}).items():
        if locale not in DISCORD_LOCALES:
            problems.append(f"{where}.name_localizations.{locale}: not a Discord locale")
        elif not 1 <= len(str(text)) <= 100:
            problems.append(f"{where}.name_localizations.{locale}: must be 1 to 100 characters")
    return problems


def _option_rules(options: list[Mapping[str, Any]], where: str, problems: list[str]) -> int:
    total = 0
    seen_optional = False
    for n, option in enumerate(options):
        at = f"{where}[{n}]"
        problems += _named(option, at, True)
        total += len(option.get("name") or "") + len(option.get("description") or "")
        if option.get("type") in (1, 2):
            total += _option_rules(option.get("options") or [], f"{at}.options", problems)
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{at}: required options must come before optional ones")
        else:
            seen_optional = True
        for k, choice in enumerate(option.get("choices") or []):
            problems += _choice_rules(choice, f"{at}.choices[{k}]")
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total
