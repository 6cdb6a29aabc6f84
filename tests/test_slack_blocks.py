"""Cards → Block Kit: real cards from the core, Slack's limits, escaping, and the settings form."""

from __future__ import annotations

import pytest

from adapters.slack_blocks import (
    card_blocks,
    clip,
    escape,
    fallback_text,
    form_from_state,
    home_view,
)
from bot.asks import Context, SettingsForm
from bot.cards import Card, Field, Link
from bot.models import ServerSettings
from bot.words.settings import FORM, Home, form_labels, language_choices
from tests.fake_slack import check_blocks, check_message, form_values

MEMBER = Context("slack", "T0001", "C0001", "UMEMBER")
SETTINGS = ServerSettings("slack", "T0001", "C0042", 70, ("films",), ("US", "GB"))


async def test_real_cards_fit_slack(core):
    cards = [
        await core.run("trending", {"region": "US", "week": "2022-06-26"}, MEMBER),
        await core.run("surprises", {"region": "US", "week": "2022-06-26"}, MEMBER),
        await core.run("watch", {"title": "Backtrace"}, MEMBER),
        await core.run("help", {}, MEMBER),
        await core.run("trending", {"region": "Narnia"}, MEMBER),
    ]
    for card in cards:
        blocks = card_blocks(card)
        assert check_message({"text": fallback_text(card), "blocks": blocks}) == "", card.title
        assert blocks[0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": card.title, "emoji": True},
        }
        assert fallback_text(card)


def test_long_cards_are_shortened_cleanly():
    card = Card(
        title="T" * 400,
        text="x" * 5000,
        fields=tuple(Field(f"label {i}", "v" * 2500, inline=i % 3 == 0) for i in range(120)),
        footer="f" * 4000,
        links=tuple(Link(f"link {i} " + "L" * 80, f"https://example.com/{i}") for i in range(30)),
    )
    blocks = card_blocks(card)
    assert check_blocks(blocks, 50) == ""
    assert len(blocks) == 50
    head = blocks[0]["text"]["text"]
    assert len(head) == 150 and head.endswith("…")
    assert len(blocks[1]["text"]["text"]) == 3000 and blocks[1]["text"]["text"].endswith("…")
    assert blocks[-3] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "…"}]}
    assert blocks[-2]["type"] == "actions" and len(blocks[-2]["elements"]) == 25
    assert len(fallback_text(card)) <= 3000


def test_inline_fields_share_sections_of_at_most_ten():
    card = Card(title="t", fields=tuple(Field(f"l{i}", f"v{i}") for i in range(23)))
    sections = [b for b in card_blocks(card) if b["type"] == "section"]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]
    assert sections[0]["fields"][0]["text"] == "*l0*\nv0"


def test_escaping_keeps_channel_and_user_mentions_only():
    text = "Alerts go to <#C0042> for <@U123|ann> & <!channel> <b>"
    assert escape(text) == (
        "Alerts go to <#C0042> for <@U123|ann> &amp; &lt;!channel&gt; &lt;b&gt;"
    )


def test_clip_never_cuts_inside_an_entity():
    assert clip("a &amp; b", 5) == "a…"
    assert clip("abc", 3) == "abc"
    assert clip("see <#C0042> now", 10) == "see…"


@pytest.mark.parametrize("editable", [True, False])
def test_home_view_fits_and_offers_the_form_only_to_admins(core, editable):
    card = Card(title="trendbot settings", fields=(Field("Threshold", "70/100"),))
    notice = Card(title="Settings saved")
    home = Home(SETTINGS, card, form_labels(), core.region_options(), language_choices())
    view = home_view(home, editable=editable, notice=notice)
    assert check_blocks(view["blocks"], 100, home=True) == ""
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    if not editable:
        assert not inputs
        return
    regions = inputs["regions"]["element"]
    assert len(regions["options"]) == 95 and regions["max_selected_items"] == 25
    assert {o["value"] for o in regions["initial_options"]} == {"US", "GB"}
    assert inputs["channel"]["element"]["initial_conversation"] == "C0042"
    assert [o["value"] for o in inputs["categories"]["element"]["initial_options"]] == ["films"]
    assert inputs["threshold"]["label"]["text"] == FORM.threshold
    language = inputs["language"]["element"]
    assert language["initial_option"]["value"] == "auto"
    assert [o["value"] for o in language["options"]] == ["auto", "en", "es", "pt-BR", "fr", "de"]


def test_form_state_is_read_back():
    values = form_values(regions=["US"], channel="C1", threshold=" 65 ", categories=["tv", "x"])
    assert form_from_state(values) == SettingsForm(
        regions=("US",), channel_id="C1", threshold=65, categories=("tv",)
    )


def test_form_state_leaves_missing_inputs_alone():
    assert form_from_state({}) == SettingsForm()
    cleared = form_values(regions=[], threshold="")
    assert form_from_state(cleared) == SettingsForm(regions=())


def test_form_state_with_a_word_for_threshold_is_refused():
    # the core refuses the form with FORM.invalid_threshold, in the admin's language
    assert form_from_state(form_values(threshold="sixty")) == SettingsForm(threshold_text="sixty")
