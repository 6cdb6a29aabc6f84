"""Top 10 files with impossible rows are refused whole, with the reason, and change nothing: an
unknown country code, a week that has not happened, GLOBAL rows inside a countries file. Files
merely written differently (CR-only line ends, trailing blank lines) are read."""

from __future__ import annotations

from datetime import date

import pytest

from bot.asks import Context
from bot.core import Core
from bot.errors import SourceError
from bot.sources.netflix import Fetched, parse_top10
from tests.conftest import TEST_DATA

COUNTRIES = TEST_DATA / "netflix" / "countries_US-GB-SG-CA_2022-06-05_to_2022-07-17.tsv"
LINES = COUNTRIES.read_text(encoding="utf-8").split("\n")
HEADER = LINES[0]
TODAY = date(2022, 7, 5)  # a Tuesday, the clock of the `core` fixture


def one_list(region: str = "US", week: str = "2022-06-26", name: str = "United States") -> str:
    """The US films list of 2022-06-26, relabelled."""
    rows = [ln.split("\t") for ln in LINES[1:]]
    picked = [r for r in rows if r[1] == "US" and r[2] == "2022-06-26" and r[3] == "Films"]
    assert len(picked) == 10
    return "\n".join("\t".join([name, region, week, *r[3:]]) for r in picked)


def body(*blocks: str) -> bytes:
    return "\n".join([HEADER, *blocks]).encode()


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ((one_list(), one_list("ZZ", name="Nowhere")), "country_iso2 'ZZ', which is not a country"),
        ((one_list(), one_list("XK", name="Kosovo")), "country_iso2 'XK', which is not a country"),
        ((one_list(), one_list(week="2099-12-27")), "week 2099-12-27, which has not ended yet"),
        ((one_list(), one_list("GLOBAL", name="")), "GLOBAL row in a countries file"),
    ],
)
def test_impossible_rows_refuse_the_whole_file(blocks: tuple[str, ...], reason: str) -> None:
    with pytest.raises(SourceError, match=reason) as caught:
        parse_top10(body(*blocks), "countries.tsv", today=TODAY)
    assert "countries.tsv: line " in str(caught.value)


def test_the_current_week_is_allowed_the_next_is_not() -> None:
    wednesday = date(2022, 6, 22)  # the week ending Sunday 2022-06-26 is under way
    [chart] = parse_top10(body(one_list()), "t", today=wednesday)
    assert chart.week == date(2022, 6, 26)
    with pytest.raises(SourceError, match="the current week ends 2022-06-26"):
        parse_top10(body(one_list(week="2022-07-03")), "t", today=wednesday)
    # without a date to compare with, only the calendar is checked (tests of old files)
    assert parse_top10(body(one_list(week="2099-12-27")), "t")[0].week == date(2099, 12, 27)


async def test_a_refused_file_changes_nothing_and_never_becomes_the_default_week(
    core: Core,
) -> None:
    before = await core.store.totals()
    future = body(one_list(week="2099-12-27"))
    with pytest.raises(SourceError, match="has not ended yet"):
        await core.ingest(Fetched("https://example/countries.tsv", future))
    assert await core.store.totals() == before
    card = await core.run_text("trending", "US films", Context("test", "g", "c", "u"))
    assert "week ending 2022-08-28" in repr(card) and "2099" not in repr(card)


def test_cr_only_line_ends_are_read_like_any_other() -> None:
    lf = body(one_list(), one_list("GB", name="United Kingdom"))
    cr = lf.replace(b"\n", b"\r")
    crlf = lf.replace(b"\n", b"\r\n")
    assert parse_top10(cr, "cr") == parse_top10(lf, "lf") == parse_top10(crlf, "crlf")
    assert len(parse_top10(cr, "cr")) == 2


@pytest.mark.parametrize("tail", [b"\n\n", b"\n\n\n", b"\r\n\r\n", b"\n \n\t\n"])
def test_trailing_blank_lines_are_harmless(tail: bytes) -> None:
    assert parse_top10(body(one_list()) + tail, "t") == parse_top10(body(one_list()), "t")


def test_a_blank_line_inside_the_data_is_still_refused() -> None:
    with pytest.raises(SourceError, match="line 12 is blank"):
        parse_top10(body(one_list(), "", one_list("GB", name="United Kingdom")), "t")
