"""`python -m bench [NAME ...]`: run every benchmark (or those named), each in its own process.

A fresh interpreter per bench keeps one bench's memory, threads and garbage out of the next. Each
prints one line, `NAME ratio=X goal=Y ok|FAIL (detail)`, or `NAME skipped …` without the data;
the exit status is 1 if any line says FAIL (a bench that crashes or times out counts as FAIL).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

from bench.common import ROOT

BENCHES = (
    "ingest", "replay", "refresh", "planning", "slack_throughput", "discord_fanout",
    "exactly_once", "memory", "history_size", "run_memory", "imdb_memory", "evaluate",
)  # fmt: skip
TIMEOUT = 900.0  # seconds, per bench
_LINE = re.compile(r"^(?P<name>\w+) (?:ratio=\S+ goal=\S+ (?P<verdict>ok|FAIL)|skipped )")


def run_one(name: str, verbose: bool) -> tuple[list[str], bool]:
    """Run one bench module in a subprocess; (its result lines, whether all are ok)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"],
            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [f"{name} ratio=nan goal=- FAIL (no result within {TIMEOUT:.0f} s)"], False
    if verbose and done.stderr:
        sys.stderr.write(done.stderr)
    lines = [line for line in done.stdout.splitlines() if _LINE.match(line)]
    if not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"{name} ratio=nan goal=- FAIL (exit {done.returncode}: {last[:300]})"], False
    ok = all(_LINE.match(line)["verdict"] != "FAIL" for line in lines)  # type: ignore[index]
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benches to run (default: all of {', '.join(BENCHES)})")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="pass on their stderr")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)} (known: {', '.join(BENCHES)})")
    all_ok = True
    for name in args.names or BENCHES:
        start = time.perf_counter()
        lines, ok = run_one(name, args.verbose)
        for line in lines:
            print(line, flush=True)
        if args.verbose:
            print(f"  ({name} took {time.perf_counter() - start:.0f} s)", file=sys.stderr)
        all_ok = all_ok and ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
