"""adapters/slack_manifest.yml declares what the adapter handles: commands, scopes, events,
interactivity, App Home (its validity under Slack's manifest schema: tests/test_contracts.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack_adapter import COMMANDS
from adapters.slack_install import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[1] / "adapters" / "slack_manifest.yml"


def read_yaml(text: str) -> object:
    return yaml.safe_load(text)


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
