"""Arbitrary text into every chat command (Core.run, run_text, answer) and every CLI subcommand:
each answer is one clean message — a Card that Discord and Slack accept, or one line (JSON under
--json) and an exit code — never a traceback, never an ERROR in the log.

Example counts stay modest (the suite's time); the strategies mix command words, regions, weeks
and numbers with arbitrary Unicode, so the parsers' branches are reached, not only their refusals.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console_adapter import card_text
from adapters.discord_render import render as discord_render
from adapters.slack_blocks import card_blocks
from bot.asks import Context
from bot.cards import Card
from bot.cli import compose as cli_module
from bot.cli import main
from bot.cli.compose import build_core
from bot.commands import COMMAND_NAMES
from bot.config import Config
from bot.core import Core
from bot.matching import build_index
from bot.sources import catalog as catalog_source
from bot.sources.catalog import Catalog
from bot.sources.netflix import parse_top10
from bot.store import Store
from bot.words.errors import internal_error_card
from tests.conftest import TEST_DATA
from tests.fake_slack import check_blocks
from tests.fakes import FakeClock

SMALL = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
WORDS = [
    "US", "GB", "gb", "GLOBAL", "United Kingdom", "Untied States", "Narnia", "films", "tv",
    "movies", "english", "non-english", "films-non-english", "2022-06-26", "2022-02-30",
    "2099-12-27", "add", "remove", "list", "regions", "channel", "threshold", "categories",
    "digest", "show", "on", "off", "60", "101", "-1", "#alerts", "<#C0042|alerts>", "Backtrace",
    "It", "Ozark", "should I watch", "?", "<@U0BOT>", "all", "both", "%",
]  # fmt: skip
word = st.sampled_from(WORDS)
junk = st.text(max_size=40)
phrase = st.lists(st.one_of(word, word, junk), max_size=6).map(" ".join)
OPTION_NAMES = ["region", "category", "week", "title", "language", "regions", "channel", "value",
                "categories"]  # fmt: skip
channel = st.dictionaries(st.sampled_from(["id", "name", "type"]), phrase, max_size=3)
option_value = st.one_of(phrase, st.integers(-(10**12), 10**12), st.booleans(), st.none(), channel)
NAMES = st.one_of(st.sampled_from([*COMMAND_NAMES, "config", "trendbot-config", "/trending"]), junk)
INTERNAL = internal_error_card().title
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@pytest.fixture(scope="module")
def chat(bundled_db: Path, tmp_path_factory: pytest.TempPathFactory, catalog: Catalog):
    """A Core over the bundled weeks on a loop of its own, shared by every example."""
    loop = asyncio.new_event_loop()
    path = tmp_path_factory.mktemp("fuzz-chat") / "chat.db"
    shutil.copyfile(bundled_db, path)
    store = loop.run_until_complete(Store.open(path))
    clock = FakeClock(datetime(2022, 9, 7, 12, tzinfo=UTC))
    core = build_core(store, Config(), catalog=catalog, clock=clock)
    yield loop, core
    loop.run_until_complete(store.close())
    loop.close()


def clean(card: Card | None, caplog: pytest.LogCaptureFixture) -> None:
    """One message both platforms accept; nothing logged as an error."""
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, loud
    if card is None:
        return
    assert card.title.strip() and card.title != INTERNAL, card
    assert "Traceback" not in card_text(card)
    assert len(discord_render(card).embed) <= 6000
    assert check_blocks(card_blocks(card), 50) == ""


def context(admin: bool) -> Context:
    return Context("fuzz", "guild-1", "channel-1", "user-1", is_admin=admin)


@FUZZ
@given(name=NAMES, options=st.dictionaries(st.sampled_from(OPTION_NAMES), option_value, max_size=4),
       admin=st.booleans())  # fmt: skip
def test_slash_commands_with_any_options(
    chat: tuple[asyncio.AbstractEventLoop, Core],
    caplog: pytest.LogCaptureFixture,
    name: str,
    options: dict[str, Any],
    admin: bool,
) -> None:
    loop, core = chat
    caplog.clear()
    clean(loop.run_until_complete(core.run(name, options, context(admin))), caplog)


@FUZZ
@given(name=NAMES, text=phrase, admin=st.booleans())
def test_text_commands_with_any_arguments(
    chat: tuple[asyncio.AbstractEventLoop, Core],
    caplog: pytest.LogCaptureFixture,
    name: str,
    text: str,
    admin: bool,
) -> None:
    loop, core = chat
    caplog.clear()
    clean(loop.run_until_complete(core.run_text(name, text, context(admin))), caplog)


@FUZZ
@given(text=st.one_of(phrase, phrase.map(lambda t: f"should I watch {t}?"), st.text()))
def test_mentions_and_messages_with_any_text(
    chat: tuple[asyncio.AbstractEventLoop, Core], caplog: pytest.LogCaptureFixture, text: str
) -> None:
    loop, core = chat
    caplog.clear()
    clean(loop.run_until_complete(core.answer(text, context(False))), caplog)


# ---- the command line ----------------------------------------------------------------------------

# what a shell can pass: no NUL; undecodable bytes arrive as lone surrogates (surrogateescape)
arg = st.one_of(
    word,
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30),
    st.lists(st.sampled_from(["\udcff", "\udc80", "é", "\u202e", " "]), max_size=3).map("".join),
)


def valid(*values: str) -> st.SearchStrategy[str]:
    """Half the time a value that passes, so that the other arguments get looked at too."""
    return st.one_of(st.sampled_from(values), arg)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Iterator[Path]:
    """A small database (four countries, seven weeks), files to ingest, the catalog and its index
    built once (each costs a second or two per command otherwise)."""
    tmp = tmp_path_factory.mktemp("fuzz-cli")
    (tmp / "in" / "dir").mkdir(parents=True)
    shutil.copyfile(SMALL, tmp / "in" / "good.tsv")
    (tmp / "in" / "null.tsv").write_bytes(b"null")

    async def build() -> None:
        store = await Store.open(tmp / "cli.db")
        try:
            await store.save_charts(parse_top10(SMALL.read_bytes(), "small"), "small",
                                    datetime(2022, 7, 20, tzinfo=UTC))  # fmt: skip
        finally:
            await store.close()

    asyncio.run(build())
    levels = {name: logging.getLogger(name).level for name in ("", "apscheduler")}
    index = build_index(catalog.titles)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog_source, "load_catalog", lambda *a, **k: catalog)
        patch.setattr(cli_module, "build_index", lambda titles: index)
        yield tmp
    for name, level in levels.items():  # `run` sets the configured log level on the root
        logging.getLogger(name).setLevel(level)


def one_message(code: int, out: str, err: str, argv: list[str]) -> None:
    assert code in (0, 1, 2), (code, argv)
    assert "Traceback" not in out + err, argv
    if code == 0:
        return
    if "--json" in argv:
        assert err == "" and "error" in json.loads(out.splitlines()[-1]), (out, err)
        return
    lines = [line for line in err.split("\n") if line.strip()]  # not splitlines: \x1e is text
    if lines:  # one complaint (argparse prints its usage above it; a value may hold newlines)
        assert any(line.startswith("trendbot") for line in lines), (argv, out, err)
    else:  # ask/plot's pick list or suggestions, ingest's REJECTED lines
        assert out.strip(), argv


def run_cli(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
            argv: list[str]) -> None:  # fmt: skip
    caplog.clear()
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    one_message(code, out, err, argv)
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not loud, (argv, loud)


CLI = settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
json_flag = st.sampled_from([[], ["--json"]])


@CLI
@given(region=valid("US", "GB", "GLOBAL", "Canada"), category=valid("films", "tv", "movies"),
       week=valid("2022-06-26", "2022-07-17", "2022-06-05"), language=st.one_of(st.none(), arg),
       flag=json_flag)  # fmt: skip
def test_cli_trending(cli, capsys, caplog, region, category, week, language, flag) -> None:
    argv = ["trending", "--db", str(cli / "cli.db"), "--region", region, "--category", category,
            "--week", week, *flag]  # fmt: skip
    argv += ["--language", language] if language is not None else []
    run_cli(capsys, caplog, argv)


@CLI
@given(question=st.one_of(valid("Backtrace", "Ozark", "It"), arg.map("should I watch {}?".format)),
       region=valid("US", "GB", "GLOBAL"), flag=json_flag)  # fmt: skip
def test_cli_ask(cli, capsys, caplog, question, region, flag) -> None:
    argv = ["ask", question, "--region", region, "--db", str(cli / "cli.db"), *flag]
    run_cli(capsys, caplog, argv)


@CLI
@given(title=valid("Backtrace", "The Sea Beast", "It"), region=st.one_of(st.none(), valid("US")))
def test_cli_plot(cli, capsys, caplog, title, region) -> None:
    argv = ["plot", title, "--out", str(cli / "plot.png"), "--db", str(cli / "cli.db"),
            *(["--region", region] if region is not None else [])]  # fmt: skip
    run_cli(capsys, caplog, argv)


@CLI
@given(title=valid("Backtrace", "Endless Love"), category=valid("films", "tv"),
       target=st.one_of(st.just(["--none"]), valid("tm414073").map(lambda t: ["--id", t])),
)  # fmt: skip
def test_cli_override(cli, capsys, caplog, title, category, target) -> None:
    argv = ["override", title, "--category", category, *target, "--db", str(cli / "cli.db")]
    run_cli(capsys, caplog, argv)


@CLI
@given(region=valid("US", "GB"), category=valid("films", "tv"), since=valid("2022-06-12"),
       until=valid("2022-07-03"), threshold=valid("0", "60", "100"))  # fmt: skip
def test_cli_replay(cli, capsys, caplog, region, category, since, until, threshold) -> None:
    argv = ["replay", "--charts", str(SMALL), "--region", region, "--category", category,
            "--since", since, "--until", until, "--threshold", threshold, "--json"]  # fmt: skip
    run_cli(capsys, caplog, argv)


@CLI
@given(names=st.lists(valid("good.tsv", "null.tsv", "dir", ".", "missing.tsv"), min_size=1,
                      max_size=3))  # fmt: skip
def test_cli_ingest(cli, capsys, caplog, names) -> None:
    # arbitrary names inside the test's folder (missing files, directories, odd characters)
    argv = ["ingest", *(str(cli / "in") + "/" + n for n in names), "--db", str(cli / "cli.db")]
    run_cli(capsys, caplog, argv)


@CLI
@given(text=arg, verbose=st.booleans())
def test_cli_run_check(cli, capsys, caplog, text, verbose) -> None:
    config = cli / "config.toml"
    config.write_text(text, encoding="utf-8", errors="surrogateescape")
    argv = ["run", "--check", "--config", str(config), *(["-v"] if verbose else [])]
    run_cli(capsys, caplog, argv)


@CLI
@given(tokens=st.lists(arg, max_size=4), command=st.sampled_from(
    ["ingest", "trending", "ask", "replay", "plot", "override", "run", "demo", "x"]))  # fmt: skip
def test_cli_any_tokens_are_refused_cleanly_or_run(cli, capsys, caplog, command, tokens) -> None:
    """Arbitrary arguments after any subcommand: argparse's one complaint, or a normal run."""
    if command in ("run", "demo"):  # both would start for real: only their refusals are fuzzed
        tokens = [*tokens, "--no-such-option"]
    argv = [command, *tokens, "--db", str(cli / "cli.db")]
    if command == "ingest":
        argv = [command, *(str(cli / "in") + "/" + t for t in tokens), "--db", str(cli / "cli.db")]
    run_cli(capsys, caplog, argv)
