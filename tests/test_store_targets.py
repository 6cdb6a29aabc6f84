"""Bad database targets (issue 15 item 3): each gets one line on stderr naming the path or URL
(never a password) and the fix, no traceback, and the file is never modified."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import TEST_DATA

TSV = str(TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def loaded(tmp_path: Path, bundled_db: Path) -> Path:
    copy = tmp_path / "data" / "trendbot.db"
    copy.parent.mkdir()
    shutil.copyfile(bundled_db, copy)
    return copy


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"region\tweek\nUS\t2022-06-26\n", "is not a SQLite database"),
        (bytes(range(256)) * 64, "is not a SQLite database"),
    ],
)
def test_a_file_that_is_not_sqlite_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    for argv in (["trending", "--db", str(path)], ["ingest", "--db", str(path), TSV]):
        code, err = run(capsys, *argv)
        line = one_line(err)
        assert code == 1 and str(path) in line and expected in line
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal, no -shm


def test_a_newer_schema_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    code, err = run(capsys, "ingest", "--db", str(path), TSV)
    line = one_line(err)
    assert code == 1 and "schema v99, newer than this trendbot" in line and "upgrade" in line
    assert path.read_bytes() == before


def test_a_missing_directory_a_directory_and_an_empty_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "trendbot.db"
    code, err = run(capsys, "ingest", "--db", str(missing), TSV)
    assert code == 1 and "directory" in one_line(err) and "does not exist" in err
    assert not missing.parent.exists()
    code, err = run(capsys, "trending", "--db", str(tmp_path))
    assert code == 1 and "is a directory" in one_line(err)
    config = tmp_path / "empty.toml"
    config.write_text('database = ""\n')
    code, err = run(capsys, "trending", "--config", str(config))
    assert code == 1 and "database is empty" in one_line(err) and "sqlite:///" in err


def test_a_nul_byte_and_an_unknown_scheme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "nul.toml"
    config.write_text('database = "trend\\u0000bot.db"\n')
    code, err = run(capsys, "trending", "--config", str(config))
    assert code == 1 and "NUL byte" in one_line(err)
    code, err = run(capsys, "trending", "--db", "mysql://root@localhost/x")
    assert code == 1 and "not supported" in one_line(err)


def test_unreadable_and_read_only_files(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = loaded.read_bytes()
    loaded.chmod(0o000)
    try:
        code, err = run(capsys, "trending", "--db", str(loaded))
        assert code == 1 and "not readable" in one_line(err) and str(loaded) in err
    finally:
        loaded.chmod(0o644)
    loaded.chmod(0o444)
    try:
        code, err = run(capsys, "ingest", "--db", str(loaded), TSV)
        assert code == 1 and "read-only" in one_line(err) and "chmod" in err
        # reading commands still work on it, and never write
        code, _err = run(capsys, "trending", "--db", str(loaded), "--region", "US")
        assert code == 0 and "Backtrace" not in _err
    finally:
        loaded.chmod(0o644)
    assert loaded.read_bytes() == before


def test_a_read_only_directory(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = loaded.read_bytes()
    loaded.parent.chmod(0o555)
    try:
        code, err = run(capsys, "ingest", "--db", str(loaded), TSV)
        assert code == 1 and "read-only" in one_line(err) and str(loaded.parent) in err
        code, err = run(capsys, "trending", "--db", str(loaded), "--region", "US")
        assert code == 0, err
    finally:
        loaded.parent.chmod(0o755)
    assert loaded.read_bytes() == before


def test_an_unreachable_postgresql_names_it_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://trendbot:s3cret-pw@127.0.0.1:1/trendbot"
    code, err = run(capsys, "trending", "--db", url)
    line = one_line(err)
    assert code == 1 and "cannot connect to PostgreSQL at" in line
    assert "127.0.0.1:1/trendbot" in line and "s3cret-pw" not in err


@pytest.mark.skipif(os.geteuid() != 0, reason="checks that root, too, respects the mode bits")
def test_root_respects_a_files_missing_write_bits(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded.chmod(0o444)
    try:
        code, err = run(capsys, "ingest", "--db", str(loaded), TSV)
        assert code == 1 and "read-only" in err
    finally:
        loaded.chmod(0o644)
