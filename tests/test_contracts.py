"""The vendored specs are the upstream files, and the contract checks read them right: what the
official specs and the documented rules refuse is refused, what trendbot sends is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from adapters.slack_install import BOT_SCOPES
from tests.contracts import discord_api, git_blob_id, load_spec, slack_api

MANIFEST = Path(__file__).resolve().parents[1] / "adapters" / "slack_manifest.yml"


@pytest.mark.parametrize(
    ("name", "blob"),
    [
        (discord_api.SPEC, "bbbd9bf789f5d3dacb74c697acf64c66fcf782bf"),
        (slack_api.SPEC, "f7b1affd1fb34f9473cd87980428883019b29c07"),
        (slack_api.MANIFEST_SCHEMA, "9fd0fc4dc3cacf19b3b11e384b6d268b65c6fc54"),
    ],
)
def test_each_vendored_spec_is_the_upstream_blob(name: str, blob: str) -> None:
    assert git_blob_id(name) == blob  # the ids tests/data/specs/README.md pins


# ---- Discord ----------------------------------------------------------------------------------

COMMAND = {"name": "trending", "description": "Top 10", "type": 1, "options": [
    {"name": "region", "description": "Region", "type": 3, "required": True},
    {"name": "week", "description": "Week", "type": 3},
]}  # fmt: skip


def test_discord_accepts_a_well_formed_command_and_message() -> None:
    assert discord_api.check("PUT", "/applications/1/commands", {}, [COMMAND]) == []
    localized = COMMAND | {
        "name_localizations": {"pt-BR": "em-alta", "de": "trends"},
        "description_localizations": {"pt-BR": "Top 10", "es-419": "Top 10"},
    }
    assert discord_api.check("PUT", "/applications/1/commands", {}, [localized]) == []
    message = {"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v"}]}],
               "components": [{"type": 1, "components": [
                   {"type": 2, "style": 5, "label": "IMDb", "url": "https://imdb.com/"}]}],
               "nonce": "tb1", "enforce_nonce": True}  # fmt: skip
    assert discord_api.check("POST", "/channels/1/messages", {}, message) == []


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        ({"name": "Trending"}, "naming rules"),
        ({"name": "top ten"}, "naming rules"),
        ({"description": ""}, "1 to 100"),
        ({"dm_permission": False}, "deprecated, use contexts"),
        ({"options": list(reversed(COMMAND["options"]))}, "required options must come before"),
        ({"options": [{"name": "x", "description": "d" * 100, "type": 3, "choices": [
            {"name": f"c{n}" * 10, "value": "v" * 100} for n in range(25)]}] * 3},
         "more than 8000"),
        ({"name_localizations": {"fr": "Tendances"}}, "fr: 'Tendances' breaks the naming"),
        ({"name_localizations": {"de": "im trend"}}, "breaks the naming rules"),
        ({"name_localizations": {"pt": "tendencias"}}, "pt: not a Discord locale"),
        ({"description_localizations": {"es-ES": "x" * 101}}, "es-ES: must be 1 to 100"),
        ({"description_localizations": {"de": ""}}, "de: must be 1 to 100"),
        ({"options": [{"name": "c", "description": "d", "type": 3, "choices": [
            {"name": "Films", "value": "films", "name_localizations": {"fr": "f" * 101}}]}]},
         "choices[0].name_localizations.fr: must be 1 to 100"),
    ],
)  # fmt: skip
def test_discord_command_rules_the_spec_lacks(change: dict, finding: str) -> None:
    found = discord_api.check("PUT", "/applications/1/commands", {}, [COMMAND | change])
    assert any(finding in f for f in found), found


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "finding"),
    [
        ("POST", "/channels/1/messagez", {}, {}, "no such operation"),
        ("POST", "/channels/abc/messages", {}, {"content": "x"}, "does not match"),
        ("GET", "/channels/1/messages", {"limit": "500"}, None, "greater than the maximum"),
        ("GET", "/channels/1/messages", {"newest": "1"}, None, "not a parameter"),
        ("POST", "/channels/1/messages", {}, {"content": "x", "nonce": "n" * 26}, "nonce"),
        ("POST", "/channels/1/messages", {}, {"content": "x" * 2001}, "2000"),
        ("POST", "/channels/1/messages", {}, {"components": [{"type": 1, "components": [
            {"type": 2, "style": 5, "label": "x", "custom_id": "a"}]}]}, "link button"),
        ("POST", "/channels/1/messages", {}, {"embeds": [{"description": "d" * 4000},
            {"description": "d" * 2001}]}, "more than 6000"),
    ],
)  # fmt: skip
def test_discord_refuses_what_the_spec_and_docs_refuse(method, path, query, body, finding):
    found = discord_api.check(method, path, query, body)
    assert any(finding in f for f in found), found


# ---- Slack --------------------------------------------------------------------------------------


def test_slack_methods_come_from_the_spec_plus_the_commented_additions() -> None:
    methods = slack_api.methods()
    assert len(load_spec(slack_api.SPEC)["paths"]) == 174
    assert methods["chat.postMessage"].required == {"channel"}
    assert methods["chat.postMessage"].scopes == {"chat:write"}
    assert "metadata" in methods["chat.postMessage"].arguments  # an addition, commented
    assert methods["files.getUploadURLExternal"].scopes == {"files:write"}
    refusal = slack_api.check_call("chat.postMessage", {"channel": "C1", "text": "x"},
                                   frozenset({"chat:write"}))  # fmt: skip
    assert refusal is None


def test_the_manifest_is_valid_under_slacks_schema() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    schema = load_spec(slack_api.MANIFEST_SCHEMA)
    errors = sorted(e.message for e in Draft7Validator(schema).iter_errors(manifest))
    assert errors == []
    broken = manifest | {"settings": manifest["settings"] | {"socket_mode": True}}
    assert list(Draft7Validator(schema).iter_errors(broken))  # the schema does refuse things


def test_the_app_asks_only_for_scopes_it_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert not {"channels:read", "groups:read", "im:read", "im:write"} & set(BOT_SCOPES)
