"""Parsing what users type: slash options, text arguments, free questions; bad input → UserError."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.asks import (
    ConfigCategories,
    ConfigChannel,
    ConfigRegions,
    ConfigShow,
    ConfigThreshold,
    Surprises,
    Trending,
    Watch,
)
from bot.commands import MAX_QUERY, parse, parse_question, parse_text
from bot.errors import UserError


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("should I watch Backtrace?", "Backtrace"),
        ("should i watch backtrace", "backtrace"),
        ("Is Backtrace any good?", "Backtrace"),
        ("is The Man from Toronto worth watching?", "The Man from Toronto"),
        ("<@123456> should I watch It?", "It"),
        ("hey should I watch 365 Days tonight?", "365 Days"),
        ("what about Ozark?", "Ozark"),
        ("should I watch “Love & Gelato”?!", "Love & Gelato"),
        ("should I watch 🍿 Sing 2?", "🍿 Sing 2"),
        ("SHOULD I WATCH   Wild   Card", "Wild Card"),
    ],
)
def test_questions_are_recognised(text: str, title: str) -> None:
    assert parse_question(text) == Watch(title)


@pytest.mark.parametrize(
    "text",
    ["hello bot", "what's trending?", "", "should I watch ???", "should I watch", "x" * 5000],
)
def test_other_messages_are_not_questions(text: str) -> None:
    assert parse_question(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2500))
def test_question_parser_never_raises(text: str) -> None:
    found = parse_question(text)
    assert found is None or 0 < len(found.query) <= MAX_QUERY


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80))
def test_any_printable_title_round_trips_through_the_question(title: str) -> None:
    found = parse_question(f"should I watch {title}?")
    if found is not None:

        def squash(text: str) -> str:
            return "".join(
                ch
                for ch in unicodedata.normalize("NFKC", text)
                if not ch.isspace() and unicodedata.category(ch)[0] != "C"
            )

        assert found.query.strip() and squash(found.query) in squash(title)


def test_long_titles_are_refused_clearly() -> None:
    with pytest.raises(UserError, match="I search up to 200"):
        parse("watch", {"title": "A" * 2000})
    with pytest.raises(UserError, match="Which title"):
        parse("watch", {"title": "   "})


def test_slash_options() -> None:
    assert parse("trending", {"region": "US", "category": "tv", "week": "2022-06-26"}) == Trending(
        "US", "tv", date(2022, 6, 26)
    )
    assert parse("trending", {"category": "films-non-english"}) == Trending(
        None, "films", None, "non-english"
    )
    assert parse("surprises", {}) == Surprises()
    assert parse("config threshold", {"value": 70}) == ConfigThreshold(70)
    assert parse("config channel", {"channel": "<#123456789012345678>"}) == ConfigChannel(
        "123456789012345678"
    )
    assert parse("config regions add", {"regions": "US, United Kingdom"}) == ConfigRegions(
        "add", ("US", "United Kingdom")
    )


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("trending", {"category": "games"}, "films or tv"),
        ("trending", {"week": "26/06/2022"}, "look like"),
        ("trending", {"week": "2022-02-30"}, "not a real date"),
        ("config threshold", {"value": "150"}, "between 0 and 100"),
        ("config threshold", {"value": "lots"}, "whole number"),
        ("config channel", {"channel": ""}, "Name a channel"),
        ("config regions add", {"regions": " , "}, "at least one region"),
        ("config categories", {"categories": "games"}, "films and tv"),
        ("dance", {}, "Unknown command"),
    ],
)
def test_bad_options_say_what_to_type(name: str, options: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse(name, options)


def test_text_arguments_as_slack_sends_them() -> None:
    assert parse_text("trending", "gb TV 2022-07-03") == Trending("gb", "tv", date(2022, 7, 3))
    assert parse_text("trending", "united kingdom") == Trending("united kingdom")
    assert parse_text("/trendbot-config", "regions add US GB") == ConfigRegions("add", ("US", "GB"))
    assert parse_text("config", "channel <#C0123ABCD|alerts>") == ConfigChannel("C0123ABCD")
    assert parse_text("config", "threshold 70%") == ConfigThreshold(70)
    assert parse_text("config", "categories films, tv") == ConfigCategories(("films", "tv"))
    assert parse_text("config", "") == ConfigShow()
    assert parse_text("watch", "  Backtrace ") == Watch("Backtrace")
    with pytest.raises(UserError):
        parse_text("config", "explode")


def test_digest_on_and_off() -> None:
    from bot.asks import ConfigDigest

    assert parse_text("config", "digest on") == ConfigDigest(True)
    assert parse("config digest", {"value": "off"}) == ConfigDigest(False)
    with pytest.raises(UserError, match="on or off"):
        parse_text("config", "digest sometimes")
