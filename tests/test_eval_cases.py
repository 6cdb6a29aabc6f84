"""The press cases in tests/data/eval stay well-formed, seeded-split and true to the charts."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.conftest import SHARED, needs_shared

EVAL = Path(__file__).resolve().parent / "data" / "eval"


def _verify_module() -> ModuleType:
    # verify_cases.py is standalone test-data tooling, not a package module: load it by path.
    spec = importlib.util.spec_from_file_location("verify_cases", EVAL / "verify_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cases_are_well_formed_and_split_as_seeded(tmp_path: Path) -> None:
    verify = _verify_module()
    # An empty --shared dir skips only the chart checks; shape, ids and split are still checked.
    assert verify.main(["--shared", str(tmp_path)]) == 0


def test_a_wrong_split_is_reported() -> None:
    verify = _verify_module()
    cases = [row for name in verify.CASE_FILES for row in verify.read_rows(EVAL / name)]
    flipped = [
        {"case_id": c["case_id"], "part": "tune" if i else "holdout"} for i, c in enumerate(cases)
    ]
    assert verify.check_split(cases, flipped)


def test_an_entry_week_that_is_not_an_entry_is_reported() -> None:
    verify = _verify_module()
    row = {"title_in_chart": "Backtrace", "season_title": "", "kind": "film", "list": "countries"}
    cells = {("US", "2022-06-26"), ("US", "2022-07-03")}
    countries = {("Backtrace", "N/A", "Films"): cells}
    assert (
        verify.check_chart({**row, "regions": "US", "first_week": "2022-06-26"}, countries, {})
        == []
    )
    late = verify.check_chart({**row, "regions": "US", "first_week": "2022-07-03"}, countries, {})
    assert late == ["US: already in the list in 2022-06-26: not an entry"]


@needs_shared
def test_every_case_enters_the_real_charts_in_its_first_week() -> None:
    assert _verify_module().main(["--shared", str(SHARED)]) == 0
