"""discord.py's rate-limit buckets under a fan-out: swept in amortised time, idle ones still go."""

from __future__ import annotations

import asyncio

import discord.http
import pytest

from adapters.discord_buckets import SWEEP_FROM, sweep_amortised


async def test_a_fan_out_sweeps_the_buckets_a_few_times_not_once_per_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked = 0
    is_inactive = discord.http.Ratelimit.is_inactive

    def counted(self: discord.http.Ratelimit) -> bool:
        nonlocal looked
        looked += 1
        return is_inactive(self)

    monkeypatch.setattr(discord.http.Ratelimit, "is_inactive", counted)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    sweep_amortised(http)
    channels = 4_000
    for n in range(channels):  # one POST /channels/{id}/messages bucket per channel
        http.get_ratelimit(f"POST /channels/{{channel_id}}/messages:{n}")
    assert len(http._buckets) == channels  # none idle yet: all kept
    # discord.py alone looks at every bucket for each new one past 256 (~8 million here)
    assert looked < 2 * channels


async def test_the_sweep_still_drops_idle_buckets() -> None:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    sweep_amortised(http)
    for n in range(SWEEP_FROM - 1):
        bucket = http.get_ratelimit(f"old:{n}")
        bucket._last_request -= 600  # used ten minutes ago, nothing pending: idle
    http.get_ratelimit("new:0")  # the 256th bucket: a sweep
    assert list(http._buckets) == ["new:0"]
