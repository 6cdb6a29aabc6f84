"""Run-memory benchmark: `trendbot run` resident memory after warm-up over today's history size
(538k rows: the 2021–22 countries file four times with shifted weeks, as bench/history_size.py
builds it) against the 2022 size (134k rows: the newest of those copies alone, so that warm-up
analyses the same weeks and titles in both). Goal: flat in history length, ratio <= 1.15.

Each size: a real `python -m bot run` process (Discord logged in to tests/fake_discord.py with
50 guilds, Netflix a local site with nothing new, so the refresh job runs and finds nothing), its
RSS read once its warm-up has logged that it is done and the scheduled jobs have run for a few
seconds more. Also reported: its peak RSS so far (VmHWM), which includes the start.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from bench.common import COUNTRIES, ROOT, Result
from bench.history_size import COPIES, build
from tests.e2e_support import NetflixPlayer, free_port
from tests.fake_discord import FakeDiscord

GOAL = 1.15
SETTLE = 5.0  # seconds of scheduled jobs after warm-up, before RSS is read
WARM = "warmed up:"


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def measure(db: Path, tmp: Path) -> tuple[float, float, float]:
    """(RSS MB after warm-up, peak RSS MB, seconds to warm up) of one `trendbot run`."""
    async with FakeDiscord() as discord, NetflixPlayer(b"") as netflix:
        for n in range(50):
            discord.create_guild(f"Guild {n}", ("general", "alerts"))
        q = json.dumps
        config = tmp / f"{db.stem}.toml"
        config.write_text(
            f'log_level = "INFO"\n\n[netflix]\nurls = [{q(netflix.countries_url)}]\n'
            "refresh_every_seconds = 1\ntimeout_seconds = 30\n\n"
            "[alerts]\ndeliver_every_seconds = 1\n\n"
            f"[discord]\napi_base = {q(discord.api_base)}\n"
            f"gateway_url = {q(discord.gateway_url)}\n\n"
            f'[web]\nhost = "127.0.0.1"\nport = {free_port()}\n',
            encoding="utf-8",
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp),
            "MPLCONFIGDIR": str(tmp / "mpl"),
            "DISCORD_TOKEN": discord.token,
        }
        log = tmp / f"{db.stem}.err"
        with open(log, "wb") as err:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(config), "--db", str(db),
                cwd=tmp, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        try:
            start = time.monotonic()
            while WARM not in log.read_text(errors="replace"):
                if child.returncode is not None or time.monotonic() - start > 600:
                    raise RuntimeError(f"no warm-up: {log.read_text(errors='replace')[-800:]}")
                await asyncio.sleep(0.1)
            warmed = time.monotonic() - start
            await asyncio.sleep(SETTLE)
            if child.returncode is not None:
                raise RuntimeError(f"trendbot run exited: {log.read_text()[-800:]}")
            rss = psutil.Process(child.pid).memory_info().rss / 2**20
            return rss, peak_mb(child.pid), warmed
        finally:
            if child.returncode is None:
                child.terminate()
                await asyncio.wait_for(child.wait(), 60)
            if "Traceback" in log.read_text(errors="replace"):
                raise RuntimeError(f"a traceback: {log.read_text(errors='replace')[-1500:]}")


def run() -> Result:
    if not COUNTRIES.is_file():
        return Result("run_memory", None, GOAL, detail=f"{COUNTRIES} not found")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small, large = tmp / "2022.db", tmp / "today.db"
        # the small history is the large one's newest copy alone: the same newest weeks and
        # titles to analyse at warm-up, so only the history's length differs
        rows_small = asyncio.run(build(small, 1, first=COPIES - 1))
        rows_large = asyncio.run(build(large, COPIES))
        rss_s, peak_s, warm_s = asyncio.run(measure(small, tmp))
        rss_l, peak_l, warm_l = asyncio.run(measure(large, tmp))
    detail = (
        f"after warm-up {rss_s:.0f} MB at {rows_small:,} rows, {rss_l:.0f} MB at "
        f"{rows_large:,} rows; peak {peak_s:.0f} vs {peak_l:.0f} MB (ratio "
        f"{peak_l / peak_s:.2f}); warm-up {warm_s:.1f} vs {warm_l:.1f} s"
    )
    return Result("run_memory", rss_l / rss_s, GOAL, detail=detail)


def main() -> None:
    result = run()
    print(result.line())
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
