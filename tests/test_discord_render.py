"""Card → embed translation and Discord's limits (pure; no server needed)."""

from __future__ import annotations

import pytest

from adapters.discord_render import (
    BLANK,
    COLOURS,
    EMBED_TOTAL_MAX,
    clip,
    render,
    safe_filename,
    to_choices,
    to_embed,
)
from bot.cards import Card, Choice, Field, Image, Link, Tone


def test_a_card_becomes_an_embed_with_its_words_unchanged() -> None:
    card = Card(
        "Should you watch Backtrace (2018)?",
        "Skip it.",
        (Field("Why", "• IMDb 3.8/10", False), Field("IMDb", "3.8/10")),
        footer="Netflix Top 10 · week ending 2022-06-26",
        tone=Tone.WARNING,
    )
    embed = to_embed(card).to_dict()
    assert embed["title"] == card.title and embed["description"] == card.text
    assert [(f["name"], f["value"], f["inline"]) for f in embed["fields"]] == [
        ("Why", "• IMDb 3.8/10", False),
        ("IMDb", "3.8/10", True),
    ]
    assert embed["footer"]["text"] == card.footer
    assert embed["color"] == COLOURS[Tone.WARNING].value


def test_every_tone_has_its_own_colour() -> None:
    assert set(COLOURS) == set(Tone)
    assert len({c.value for c in COLOURS.values()}) == len(Tone)


def test_limits_are_kept_by_clipping() -> None:
    fields = tuple(Field("n" * 300, "v" * 2000) for _ in range(40))
    card = Card("T" * 400, "d" * 5000, fields, footer="f" * 3000)
    embed = to_embed(card)
    data = embed.to_dict()
    assert len(data["title"]) == 256 and data["title"].endswith("…")
    assert len(data["footer"]["text"]) == 2048
    assert 0 < len(data["fields"]) <= 25 and data["description"].endswith("…")
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in data["fields"])
    assert len(embed) <= EMBED_TOTAL_MAX


def test_a_long_list_keeps_whole_fields_within_6000() -> None:
    fields = tuple(Field(f"#{n}", "x" * 1000, False) for n in range(25))
    embed = to_embed(Card("Top 10", fields=fields))
    assert len(embed) <= EMBED_TOTAL_MAX
    names = [f.name for f in embed.fields]
    assert names == [f"#{n}" for n in range(len(names))]  # the first ones, in order
    assert all(f.value == "x" * 1000 for f in embed.fields[:-1])


def test_empty_field_parts_become_a_blank_discord_accepts() -> None:
    embed = to_embed(Card("t", fields=(Field("", "  "),)))
    assert (embed.fields[0].name, embed.fields[0].value) == (BLANK, BLANK)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four five", 16, "one two three…"),
        ("line one\nline two is long", 14, "line one\nline…"),
        ("first line here\nsecond", 18, "first line here…"),
        ("abcdefghij", 5, "abcd…"),
        ("abc", 1, "a"),
    ],
)
def test_clip_cuts_at_a_break_and_marks_it(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected
    assert len(clip(text, limit)) <= limit


async def test_links_become_buttons_and_bad_urls_are_dropped() -> None:
    card = Card(
        "t",
        links=(
            Link("IMDb", "https://www.imdb.com/title/tt3588588/"),
            Link("bad", "javascript:alert(1)"),
            Link("L" * 120, "https://example.org/"),
        ),
    )
    out = render(card)
    view = out.kwargs()["view"]  # a View needs a running loop, hence an async test
    buttons = [(b.label, b.url) for b in view.children]
    assert buttons == [
        ("IMDb", "https://www.imdb.com/title/tt3588588/"),
        ("L" * 79 + "…", "https://example.org/"),
    ]


async def test_the_picture_is_attached_and_shown_in_the_embed() -> None:
    image = Image("Amélie rank history.png", b"\x89PNG\r\n", "Amélie: weekly rank")
    out = render(Card("Should you watch Amélie?", image=image, private=True))
    kwargs = out.kwargs()
    assert kwargs["file"].filename == "Am-lie-rank-history.png"
    assert kwargs["file"].fp.read() == image.data
    assert out.embed.image.url == "attachment://Am-lie-rank-history.png"
    assert out.ephemeral
    assert render(Card("t")).kwargs().keys() == {"embed"}


def test_safe_filename_never_empty() -> None:
    assert safe_filename("…") == "image.png"
    assert safe_filename("backtrace-rank-history.png") == "backtrace-rank-history.png"


def test_choices_are_capped_and_sized_for_discord() -> None:
    choices = [Choice(f"Region {n}", f"R{n}") for n in range(30)]
    choices += [Choice("x" * 150, "ok"), Choice("too long", "v" * 101), Choice("empty", "")]
    found = to_choices(choices[-3:] + choices)
    assert len(found) == 25
    assert found[0].name == "x" * 99 + "…" and found[0].value == "ok"
    assert all(0 < len(c.value) <= 100 and 0 < len(c.name) <= 100 for c in found)
