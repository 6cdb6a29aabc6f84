"""adapters/slack_manifest.yml parses and declares what the adapter handles: commands, scopes,
events, interactivity, App Home. (PyYAML is not a dependency; a small reader covers the subset of
YAML the manifest uses — block mappings, lists, plain and double-quoted scalars, comments.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from adapters.slack_adapter import COMMANDS
from adapters.slack_install import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[1] / "adapters" / "slack_manifest.yml"
_KEY = re.compile(r"^[A-Za-z_][\w.-]*:(?: |$)")


def read_yaml(text: str) -> Any:
    lines = [
        (len(raw) - len(raw.lstrip(" ")), raw.strip())
        for raw in text.splitlines()
        if raw.strip() and not raw.strip().startswith("#")
    ]
    assert all("\t" not in raw for raw in text.splitlines()), "tabs are not YAML indentation"
    value, end = _block(lines, 0, lines[0][0])
    assert end == len(lines), f"unparsed from line {lines[end]}"
    return value


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            item = lines[i][1][2:]
            if _KEY.match(item):  # "- key: value" starts a mapping two columns in
                lines[i] = (indent + 2, item)
                value, i = _block(lines, i, indent + 2)
            else:
                value, i = _scalar(item), i + 1
            items.append(value)
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        assert _KEY.match(lines[i][1]), f"not a key: {lines[i][1]!r}"
        key, _, rest = lines[i][1].partition(":")
        assert key not in mapping, f"duplicate key {key}"
        i += 1
        if rest.strip():
            mapping[key] = _scalar(rest.strip())
        else:
            assert i < len(lines) and lines[i][0] > indent, f"{key} has no value"
            mapping[key], i = _block(lines, i, lines[i][0])
    return mapping, i


def _scalar(text: str) -> Any:
    if text.startswith('"'):
        return json.loads(text)
    if text in ("true", "false"):
        return text == "true"
    if text.isdigit():
        return int(text)
    assert not text.startswith(("'", "[", "{", "&", "*", "!", "|", ">")), text
    return text


def test_reader_handles_the_shapes_the_manifest_uses():
    text = 'a:\n  b: 1\n  c:\n    - x\n    - y: "q: #1"\n      z: true\n# note\nd: plain text\n'
    assert read_yaml(text) == {
        "a": {"b": 1, "c": ["x", {"y": "q: #1", "z": True}]},
        "d": "plain text",
    }


def test_manifest_declares_what_the_adapter_handles():
    manifest = read_yaml(MANIFEST.read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    commands = {c["command"]: c for c in features["slash_commands"]}
    assert set(commands) == set(COMMANDS)
    assert all(c["description"] for c in commands.values())
    assert commands["/trendbot-config"]["should_escape"] is True  # #channel arrives as <#C…|name>
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["bot_user"]["display_name"] == manifest["display_information"]["name"]
    assert len(manifest["display_information"]["description"]) <= 140
