"""The `trendbot` command line, run as a real subprocess: ingest, trending, ask, replay, plot, demo.
Errors come out as one clear line and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATA

NETFLIX = TEST_DATA / "netflix"
COUNTRIES = NETFLIX / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
GLOBAL_7 = NETFLIX / "global_7col_2022-06-19_to_2022-07-03.tsv"
NULL = NETFLIX / "all-weeks-countries_null_2023-12-17.tsv"
ROOT = Path(__file__).resolve().parents[1]


def trendbot(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY", "_SECRET"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test weeks stored by `trendbot ingest`, once for the module."""
    where = tmp_path_factory.mktemp("cli")
    path = where / "cli.db"
    done = trendbot("ingest", str(COUNTRIES), str(GLOBAL_7), "--db", str(path), cwd=where)
    assert done.returncode == 0, done.stderr
    assert "56 new lists" in done.stdout and "12 new lists" in done.stdout
    assert "database: 7 weeks" in done.stdout
    return path


@pytest.fixture
def db(ingested: Path, tmp_path: Path) -> Path:
    """A private copy of the ingested database (a test may write to it)."""
    return Path(shutil.copyfile(ingested, tmp_path / "cli.db"))


def test_ingest_again_changes_nothing_and_rejects_broken_files(db: Path, tmp_path: Path) -> None:
    done = trendbot(
        "ingest",
        str(COUNTRIES),
        str(NULL),
        str(tmp_path / "missing.tsv"),
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "0 new lists, 0 replaced, 56 unchanged" in done.stdout
    assert f"REJECTED {NULL}: " in done.stdout and "literal 'null'" in done.stdout
    assert "no such file" in done.stdout
    assert "Traceback" not in done.stderr


def test_trending_json_has_backtrace_new_at_8(db: Path, tmp_path: Path) -> None:
    done = trendbot(
        "trending",
        "--region",
        "US",
        "--category",
        "films",
        "--week",
        "2022-06-26",
        "--db",
        str(db),
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["region"], data["category"], data["week"]) == ("US", "films", "2022-06-26")
    backtrace = data["entries"][7]
    assert backtrace["title"] == "Backtrace" and backtrace["movement"] == "NEW"
    assert backtrace["surprise"] is True and backtrace["weeks_in_top10"] == 1


def test_trending_text_next_week_shows_the_climb(db: Path, tmp_path: Path) -> None:
    done = trendbot(
        "trending",
        "--region",
        "united states",
        "--week",
        "2022-07-03",
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "#5 ▲3 · Backtrace: 2 weeks in top 10" in done.stdout


def test_unknown_region_lists_close_matches(db: Path, tmp_path: Path) -> None:
    done = trendbot("trending", "--region", "Untied States", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 2
    assert "Unknown region “Untied States”" in done.stderr
    assert "United States (US)" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_week_not_stored_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    done = trendbot(
        "trending", "--region", "US", "--week", "2019-01-06", "--db", str(db), cwd=tmp_path
    )
    assert done.returncode == 1 and "No chart for United States · Films" in done.stderr


def test_ask_json(db: Path, tmp_path: Path) -> None:
    done = trendbot(
        "ask",
        "should I watch Backtrace?",
        "--region",
        "US",
        "--db",
        str(db),
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["title"], data["year"]) == ("Backtrace", 2018)
    assert data["advice"] in ("skip", "so bad it's good")
    assert data["scores"]["imdb"]["raw"] == "3.8/10"
    assert {
        "region": "US",
        "category": "films",
        "language": None,
        "week": "2022-06-26",
        "rank": 8,
    } in data["charts"]
    assert any("IMDb 3.8/10" == r for r in data["reasons"])


def test_replay_prints_one_json_line_per_entry(tmp_path: Path) -> None:
    done = trendbot(
        "replay",
        "--charts",
        str(COUNTRIES),
        "--region",
        "US",
        "--category",
        "films",
        "--since",
        "2022-06-26",
        "--until",
        "2022-07-03",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 20
    backtrace = next(r for r in rows if r["week"] == "2022-06-26" and r["title"] == "Backtrace")
    assert backtrace["surprise"] is True and backtrace["matched_title_id"] == "tm414073"
    second = next(r for r in rows if r["week"] == "2022-07-03" and r["title"] == "Backtrace")
    assert (second["rank"], second["previous_rank"], second["weeks_in_top10"]) == (5, 8, 2)
    assert second["surprise"] is False


def test_plot_writes_a_png(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "backtrace.png"
    done = trendbot("plot", "Backtrace", "--out", str(out), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts]\ndefault_threshold = 500\n")
    done = trendbot("trending", "--config", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("trendbot: configuration error: alerts.default_threshold")


def test_demo_without_a_terminal_replays_and_exits_0(tmp_path: Path) -> None:
    done = trendbot("demo", cwd=tmp_path, stdin="/trending US\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("=== Week ending") == 18
    assert "Surprise in United States · Films: Backtrace (2018)" in out
    assert out.index("Week ending 2022-06-26") < out.index("Backtrace (2018)")
    assert "=== /trending US films ===" in out
    assert "Should you watch Backtrace (2018)?" in out
    assert "trendbot>" not in out  # no prompt without a terminal
    picture = tmp_path / "backtrace-rank-history.png"
    assert f"[picture: {picture}]" in out
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in tmp_path.iterdir()] == [picture.name]  # and no database


def test_bare_trendbot_shows_the_help_and_points_to_the_demo(tmp_path: Path) -> None:
    done = trendbot(cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: trendbot")
    assert "demo" in done.stdout and "run" in done.stdout
    assert "New here? `trendbot demo`" in done.stdout
    assert done.stderr == ""


def test_json_log_lines_when_configured(tmp_path: Path) -> None:
    config = tmp_path / "json.toml"
    config.write_text('[logging]\nformat = "json"\n')
    tsv = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
    stored = trendbot("ingest", str(tsv), "--config", str(config), cwd=tmp_path)
    assert stored.returncode == 0, stored.stderr
    done = trendbot("trending", "--region", "JP", "--config", str(config), "-v", cwd=tmp_path)
    assert done.returncode == 1  # no Japanese list: the user's message is not a log record
    lines = done.stderr.splitlines()
    said = [line for line in lines if line.startswith("trendbot: ")]
    assert said == ["trendbot: No chart for Japan · Films yet"]
    records = [json.loads(line) for line in lines if line not in said]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert records[0]["time"].endswith("+00:00") and "T" in records[0]["time"]


# ---- languages ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled country lists (every Netflix country, Brazil included)."""
    where = tmp_path_factory.mktemp("world")
    countries = next((ROOT / "bot" / "data").glob("top10_countries_*.tsv"))
    done = trendbot("ingest", str(countries), "--db", str(where / "w.db"), cwd=where)
    assert done.returncode == 0, done.stderr
    return where / "w.db"


@pytest.mark.parametrize(
    ("locale", "title", "line"),
    [("pt-BR", "Top 10 · Brasil · Filmes", "semanas no top 10"),
     ("es", "Top 10 · Brasil · Películas", "semanas en top 10"),
     ("fr", "Top 10 · Brésil · Films", "semaines au top 10"),
     ("de", "Top 10 · Brasilien · Filme", "Wochen in den Top 10"),
     ("en", "Top 10 · Brazil · Films", "weeks in top 10")],
)  # fmt: skip
def test_trending_answers_in_the_locale_asked(
    world_db: Path, tmp_path: Path, locale: str, title: str, line: str
) -> None:
    done = trendbot("trending", "--region", "BR", "--locale", locale, "--db", str(world_db),
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == title
    assert line in done.stdout


def test_an_unknown_locale_names_the_shipped_ones(world_db: Path, tmp_path: Path) -> None:
    done = trendbot("trending", "--region", "BR", "--locale", "ja", "--db", str(world_db),
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "en, es, pt-BR, fr, de" in done.stderr


def test_a_user_error_speaks_the_locale_too(world_db: Path, tmp_path: Path) -> None:
    done = trendbot("trending", "--region", "Brazik", "--locale", "pt-BR", "--db", str(world_db),
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "Região desconhecida “Brazik”" in done.stderr and "Brasil (BR)" in done.stderr


def test_ask_draws_no_picture_it_cannot_show(db: Path, tmp_path: Path) -> None:
    # matplotlib is ~50 MB of a cold `ask` (the history-size bench's 200 MB cap)
    script = (
        "import sys; from bot.__main__ import main; "
        "code = main(sys.argv[1:]); print('matplotlib' in sys.modules, file=sys.stderr); "
        "sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_KEY", "_SECRET"))}
    env["PYTHONPATH"] = str(ROOT)
    for extra in ((), ("--json",)):
        done = subprocess.run(
            [sys.executable, "-c", script, "ask", "should I watch Backtrace?", "--region", "US",
             "--db", str(db), *extra],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Backtrace" in done.stdout
        assert done.stderr.strip().splitlines()[-1] == "False"
