"""The simulated clock wakes sleepers in deadline order and never goes back."""

from __future__ import annotations

import asyncio

import pytest

from tradewind.adapters.clock import ClockDriver, SimClock

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


async def test_the_clock_driver_moves_a_sim_clock_until_stopped() -> None:
    clock = SimClock()
    start = clock.now_ns()
    driver = ClockDriver(clock, speed=100.0, tick_s=0.001)
    task = asyncio.create_task(driver.run())
    woke: list[int] = []

    async def sleeper() -> None:
        await clock.sleep(0.5)  # simulated seconds: only the driver can end this sleep
        woke.append(clock.now_ns())

    await sleeper()
    await driver.stop()
    await task
    assert woke and woke[0] >= start + 500_000_000
    frozen = clock.now_ns()
    await asyncio.sleep(0.01)
    assert clock.now_ns() == frozen  # stopped: time no longer moves


def test_a_clock_driver_needs_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="positive"):
        ClockDriver(SimClock(), speed=0)
