"""The Runner: components start in order, stop in reverse, a failed start undoes itself, a crash is reported."""

from __future__ import annotations

import asyncio

import pytest

from tradewind.adapters.clock import SimClock
from tradewind.application.lifecycle import Component, ComponentCrashed, Runner, cancel_and_wait, sleep_unless_stopped


def recording(name: str, log: list[str], *, fail_start: bool = False, fail_stop: bool = False) -> Component:
    async def start() -> None:
        if fail_start:
            raise OSError(f"{name} cannot start")
        log.append(f"start {name}")

    async def stop() -> None:
        log.append(f"stop {name}")
        if fail_stop:
            raise RuntimeError(f"{name} cannot stop")

    return Component(name, start, None, stop)


async def test_components_start_in_order_and_stop_in_reverse() -> None:
    log: list[str] = []
    runner = Runner("t", [recording(n, log) for n in ("db", "bus", "recorder")])
    await runner.start()
    await runner.stop()
    assert log == ["start db", "start bus", "start recorder", "stop recorder", "stop bus", "stop db"]


async def test_a_failed_start_stops_only_what_had_started_and_reraises() -> None:
    log: list[str] = []
    runner = Runner("t", [recording("db", log), recording("http", log, fail_start=True), recording("sim", log)])
    with pytest.raises(OSError, match="http cannot start"):
        await runner.start()
    assert log == ["start db", "stop db"]


async def test_a_failing_stop_does_not_keep_the_others_from_stopping() -> None:
    log: list[str] = []
    runner = Runner("t", [recording("recorder", log), recording("http", log, fail_stop=True)])
    await runner.start()
    await runner.stop()
    assert log == ["start recorder", "start http", "stop http", "stop recorder"]
    assert runner.stop_failures == 1


async def test_stop_twice_stops_once() -> None:
    log: list[str] = []
    runner = Runner("t", [recording("db", log)])
    await runner.start()
    await runner.stop()
    await runner.stop()
    assert log == ["start db", "stop db"]


async def test_a_background_task_that_ends_on_its_own_is_a_crash_and_a_health_problem() -> None:
    async def dies() -> None:
        raise ValueError("boom")

    runner = Runner("svc", [Component("worker", None, dies)])
    await runner.start()
    with pytest.raises(ComponentCrashed, match="worker ended on its own: ValueError"):
        await runner.run_until(asyncio.Event())
    assert runner.problems() == {"worker": "worker has stopped"}
    await runner.stop()


async def test_run_until_returns_when_asked_and_the_task_is_stopped_by_its_component() -> None:
    halt = asyncio.Event()

    async def loop() -> None:
        await halt.wait()

    async def stop() -> None:
        halt.set()

    runner = Runner("svc", [Component("loop", None, loop, stop)])
    await runner.start()
    assert runner.problems() == {}
    stop_asked = asyncio.Event()
    stop_asked.set()
    await runner.run_until(stop_asked)
    await runner.stop()
    assert halt.is_set()


def test_a_component_health_check_is_reported_by_name() -> None:
    runner = Runner("svc", [Component("feed", health=lambda: "stale book"), Component("quiet")])
    assert runner.problems() == {"feed": "stale book"}
    assert set(runner.checks()) == {"feed"}


def test_component_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Runner("svc", [Component("a"), Component("a")])


async def test_a_loop_sleeping_on_a_standing_simulated_clock_ends_when_stopped() -> None:
    clock = SimClock()
    stopped = asyncio.Event()
    ended = asyncio.create_task(sleep_unless_stopped(clock, 10.0, stopped))
    await asyncio.sleep(0)
    assert not ended.done()  # the clock stands still: the sleep goes on
    stopped.set()
    assert await ended is False
    assert clock.pending_sleepers == 0
    await clock.advance(10)
    assert await sleep_unless_stopped(clock, 1.0, stopped) is False  # already stopped: no sleep at all


async def test_states_name_every_component_not_started_then_well_or_what_is_wrong() -> None:
    runner = Runner("t", [Component("well"), Component("sick", health=lambda: "disk full")])
    assert runner.states() == {"well": "not started", "sick": "not started"}
    await runner.start()
    assert runner.states() == {"well": None, "sick": "disk full"}
    await runner.stop()


async def test_cancel_and_wait_ends_a_running_task_without_raising_and_takes_none() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(forever())
    await started.wait()
    await cancel_and_wait(task)
    assert task.done() and task.cancelled()
    await cancel_and_wait(None)  # nothing to stop
