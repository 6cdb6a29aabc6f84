"""The small defects of the adversarial run: `--json` errors as JSON, a question with no title,
suggestions listed once, a language asked of a country's list, a console-only `run` that claimed
to print alerts, and pruning that never gave space back."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.asks import Context
from bot.cards import Card
from bot.cli import main
from bot.commands import ask_query
from bot.config import load_config
from bot.core import Core
from bot.errors import UserError
from bot.jobs import prune_outbox
from bot.models import Alert, ChartKey
from bot.service import plan
from bot.sources import catalog as catalog_source
from bot.sources.catalog import Catalog
from bot.store import Store
from tests.fakes import FakeClock

CTX = Context("test", "g", "c", "u")


@pytest.fixture
def db(bundled_db: Path, tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "cli.db"
    shutil.copyfile(bundled_db, copy)
    monkeypatch.setattr(catalog_source, "load_catalog", lambda: catalog)  # loaded once a session
    return copy


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["trending", "--region", "Untied States"], 2, "Unknown region “Untied States”."),
        (["trending", "--week", "1999-01-03"], 1, "No "),
        (["trending", "--week", "someday"], 2, "Week must look like 2022-06-26"),
        (["trending", "--category", "games"], 2, "Category must be films or tv"),
        (["trending", "--region", "US", "--language", "english"], 2, "Only the global lists"),
        (["trending", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["ask", "should I watch ?"], 2, "Which title?"),
        (["ask", "Backtrace", "--region", "Atlantis"], 2, "Unknown region “Atlantis”"),
        (["replay", "--charts", "x.tsv", "--threshold", "500"], 2, "must be between 0 and 100"),
    ],
)
def test_json_errors_are_one_json_object(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    done, out, err = run(capsys, *argv, "--json", "--db", str(db))
    assert done == code
    assert err == ""
    [line] = out.splitlines()
    assert set(json.loads(line)) == {"error"} and message in json.loads(line)["error"]


def test_suggestions_are_listed_once(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done, out, err = run(capsys, "trending", "--region", "Untied States", "--db", str(db))
    assert done == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("trendbot: Unknown region “Untied States”. Did you mean United States")
    assert line.count("United States (US)") == 1 and "Try:" not in line


async def test_suggestions_are_listed_once_in_chat(core: Core) -> None:
    card = await core.run_text("trending", "Untied States", CTX)
    assert card.text.count("United States (US)") == 1 and not card.fields


@pytest.mark.parametrize(
    "argv",
    [
        ["--region", "US", "--language", "non-english"],
        ["--region", "GB", "--category", "films-non-english"],
    ],
)
def test_a_language_is_refused_for_a_country(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    done, _out, err = run(capsys, "trending", *argv, "--db", str(db))
    assert done == 2 and "Only the global lists are split by language" in err


async def test_a_language_is_refused_for_a_country_in_chat_and_kept_for_global(core: Core) -> None:
    refused = await core.run_text("trending", "US tv non-english", CTX)
    assert "Only the global lists are split by language; United States" in refused.text
    kept = await core.run_text("trending", "GLOBAL tv non-english", CTX)
    assert "Non-English" in kept.title or "non-english" in kept.title.casefold()


@pytest.mark.parametrize("text", ["should I watch ?", "should I watch", "watch?", "is good?"])
def test_a_question_without_a_title_asks_which_title(text: str) -> None:
    with pytest.raises(UserError, match="Which title"):
        ask_query(text)


@pytest.mark.parametrize(
    ("text", "query"),
    [("Should I watch Backtrace?", "Backtrace"), ("Backtrace", "Backtrace"),
     ("Watchmen", "Watchmen"), ("Review", "Review"), ("Is It good?", "It")],
)  # fmt: skip
def test_titles_and_questions_still_search(text: str, query: str) -> None:
    assert ask_query(text) == query


def test_ask_without_a_title_does_not_search_for_the_question(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done, out, err = run(capsys, "ask", "should I watch ?", "--db", str(db))
    assert done == 2 and out == ""
    assert err.startswith("trendbot: Which title?") and "should I watch" not in out


def test_an_undecodable_override_title_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fuzz test: bytes that are not UTF-8 reached SQLite and raised."""
    done, _out, err = run(capsys, "override", "\udcff", "--none", "--db", str(db))
    assert done == 2 and err.startswith("trendbot: '\\udcff' is not UTF-8 text")


def test_a_console_only_run_claims_no_alerts() -> None:
    lines = "\n".join(plan(load_config(None, {})).lines)
    assert "alerts print to stdout" not in lines
    assert "no channel can subscribe and no alerts are sent" in lines


async def test_pruning_gives_the_space_back(tmp_path: Path, clock: FakeClock) -> None:
    store = await Store.open(tmp_path / "prune.db")
    try:
        await fill_outbox(store, clock, 3000)
        size = await pages(store)
        clock.advance(days=91)
        assert await prune_outbox(store, 90, clock) == 3000
        assert _pragma(store, "freelist_count") == 0
        assert await pages(store) < size / 4
    finally:
        await store.close()


async def test_an_older_file_is_converted_and_shrinks_too(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # made before auto_vacuum: a table exists, mode NONE
        old.execute("CREATE TABLE legacy (x)")
    store = await Store.open(path)
    try:
        assert _pragma(store, "auto_vacuum") == 0
        await fill_outbox(store, clock, 3000)
        size = await pages(store)
        clock.advance(days=91)
        assert await prune_outbox(store, 90, clock) == 3000
        assert _pragma(store, "auto_vacuum") == 2  # incremental from now on
        assert await pages(store) < size / 4
    finally:
        await store.close()


async def fill_outbox(store: Store, clock: FakeClock, count: int) -> None:
    card = Card(title="⚡ Surprise", text="x" * 800)
    week = date(2022, 6, 26)
    alerts = [
        Alert("test", "g", f"C{n}", ChartKey("US", "films"), week, "Backtrace", "s", card)
        for n in range(count)
    ]
    assert await store.enqueue(alerts, clock()) == count
    due = await store.due(clock() + timedelta(seconds=1), limit=count)
    await store.mark_sent_many([p.id for p in due], clock())


async def pages(store: Store) -> int:
    return _pragma(store, "page_count", checkpoint=True)


def _pragma(store: Store, name: str, *, checkpoint: bool = False) -> int:
    """A pragma read on the file itself (the store's own connections sit in transactions)."""
    assert store.target.path is not None
    with sqlite3.connect(store.target.path) as db:
        if checkpoint:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])
