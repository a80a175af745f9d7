"""The simulated clock wakes sleepers in deadline order and never goes back."""

from __future__ import annotations

import asyncio

import pytest

from tradewind.adapters.clock import SimClock

NS = 1_000_000_000


async def test_sleepers_wake_in_deadline_order_at_their_own_time() -> None:
    clock = SimClock(start_ns=0)
    woke: list[tuple[str, int]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now_ns()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in [("c", 30), ("a", 10), ("b", 20)]]
    await asyncio.sleep(0)
    await clock.advance(25)
    assert woke == [("a", 10 * NS), ("b", 20 * NS)]
    await clock.advance(10)
    assert woke[-1] == ("c", 30 * NS)
    assert clock.now_ns() == 35 * NS
    await asyncio.gather(*tasks)


async def test_an_hour_of_minute_ticks_runs_instantly() -> None:
    clock = SimClock(start_ns=0)
    ticks: list[int] = []

    async def every_minute() -> None:
        for _ in range(60):
            await clock.sleep(60)
            ticks.append(clock.now_ns())

    task = asyncio.create_task(every_minute())
    await asyncio.sleep(0)
    await clock.advance(3600)
    await task
    assert ticks == [60 * NS * i for i in range(1, 61)]


async def test_clock_refuses_to_go_back() -> None:
    clock = SimClock(start_ns=100)
    with pytest.raises(ValueError, match="cannot go back"):
        await clock.advance_to(50)
    assert clock.now_ns() == 100
