"""Supervision: a task with a restart policy that dies is logged with its traceback, reported, restarted with backoff.

A fake monotonic clock drives "healthy again"; backoffs are a millisecond, so nothing waits on real time.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.logs import captured_logs
from tests.support.waiting import wait_for
from tradewind.application.lifecycle import Component, ComponentCrashed, RestartPolicy, Runner

TINY = RestartPolicy(initial_s=0.001, max_s=0.004, jitter=0.0, healthy_after_s=100.0)


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def dying(times: int, attempts: list[int], *, before_death: list[float] | None = None, clock: FakeTime | None = None):
    """A run that raises on its first ``times`` attempts, then waits to be cancelled by its stop."""
    halt = asyncio.Event()

    async def run() -> None:
        attempts.append(len(attempts) + 1)
        n = len(attempts)
        if n <= times:
            if before_death is not None and clock is not None:
                clock.now += before_death[n - 1]  # how long this attempt "ran" before it died
            raise OverflowError(f"date value out of range (attempt {n})")
        await halt.wait()

    async def stop() -> None:
        halt.set()

    return run, stop


async def test_a_dying_supervised_task_is_logged_with_its_traceback_reported_and_restarted() -> None:
    clock = FakeTime()
    attempts: list[int] = []
    run, stop = dying(2, attempts)
    runner = Runner("svc", [Component("scheduler", None, run, stop, restart=TINY)], now=clock)
    with captured_logs() as logs:
        await runner.start()
        await wait_for(lambda: len(attempts) == 3)
        await asyncio.sleep(0)  # the third attempt is now waiting
        crashed = [e for e in logs if e["event"] == "component.crashed"]
        assert [e["error"] for e in crashed] == [
            "OverflowError: date value out of range (attempt 1)",
            "OverflowError: date value out of range (attempt 2)",
        ]
        assert all(isinstance(e["exc_info"], OverflowError) for e in crashed)  # the traceback goes to the log
        assert [e["restart_in_s"] for e in crashed] == [0.001, 0.002]  # doubling
        problem = runner.problems()["scheduler"]
        assert "crashed 2 time(s), restarted" in problem and "attempt 2" in problem
        clock.now += TINY.healthy_after_s  # ran cleanly long enough: healthy again
        assert runner.problems() == {}
        stop_asked = asyncio.Event()
        stop_asked.set()
        await runner.run_until(stop_asked)  # a supervised crash does not stop the process
        await runner.stop()
    assert runner.supervision("scheduler")[0] == 2


async def test_the_backoff_starts_over_once_the_task_had_recovered() -> None:
    clock = FakeTime()
    attempts: list[int] = []
    # Attempts 1 and 2 die at once, attempt 3 dies after running 200 s (longer than healthy_after_s), 4 at once.
    run, stop = dying(4, attempts, before_death=[0, 0, 200, 0], clock=clock)
    runner = Runner("svc", [Component("worker", None, run, stop, restart=TINY)], now=clock)
    with captured_logs() as logs:
        await runner.start()
        await wait_for(lambda: len(attempts) == 5)
        await runner.stop()
    delays = [e["restart_in_s"] for e in logs if e["event"] == "component.crashed"]
    assert delays == [0.001, 0.002, 0.001, 0.002]


async def test_stopping_during_the_backoff_does_not_wait_for_it_and_does_not_restart() -> None:
    attempts: list[int] = []
    run, stop = dying(1, attempts)
    slow = RestartPolicy(initial_s=3600.0, max_s=3600.0, jitter=0.0)
    runner = Runner("svc", [Component("worker", None, run, stop, restart=slow)])
    await runner.start()
    await wait_for(lambda: runner.supervision("worker")[0] == 1)
    assert "restarting" in runner.problems()["worker"]
    await runner.stop()  # an hour of backoff is not waited for (the test's timeout would catch it)
    assert attempts == [1]


async def test_an_unsupervised_task_still_stops_the_process() -> None:
    attempts: list[int] = []
    run, _ = dying(1, attempts)
    runner = Runner("svc", [Component("worker", None, run)])
    await runner.start()
    with pytest.raises(ComponentCrashed, match="OverflowError"):
        await runner.run_until(asyncio.Event())
    await runner.stop()
    assert attempts == [1]


@given(
    failures=st.integers(1, 200),
    initial=st.floats(0.001, 10),
    ratio=st.floats(1, 100),
    jitter=st.floats(0, 0.99),
    seed=st.integers(0, 2**32),
)
def test_each_delay_is_the_doubled_backoff_capped_within_its_jitter(
    failures: int, initial: float, ratio: float, jitter: float, seed: int
) -> None:
    policy = RestartPolicy(initial_s=initial, max_s=initial * ratio, jitter=jitter)
    base = min(initial * 2.0 ** (failures - 1), policy.max_s)
    delay = policy.delay(failures, random.Random(seed))
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9
    assert delay <= policy.max_s * (1 + jitter) + 1e-9


@pytest.mark.parametrize(("initial", "maximum", "jitter"), [(0, 1, 0), (2, 1, 0), (1, 2, 1.0), (1, 2, -0.1)])
def test_a_policy_that_cannot_back_off_is_refused(initial: float, maximum: float, jitter: float) -> None:
    with pytest.raises(ValueError, match="restart"):
        RestartPolicy(initial_s=initial, max_s=maximum, jitter=jitter)


async def test_shutdown_flushes_the_recorder_though_a_crashed_component_fails_to_stop() -> None:
    log: list[str] = []

    async def flush() -> None:
        log.append("recorder flushed")

    async def dies() -> None:
        raise OverflowError("date value out of range")

    async def stop_fails() -> None:
        raise OverflowError("date value out of range")  # the same traceback again, on SIGTERM

    runner = Runner("svc", [Component("recorder", None, None, flush), Component("scheduler", None, dies, stop_fails)])
    await runner.start()
    with pytest.raises(ComponentCrashed):
        await runner.run_until(asyncio.Event())
    await runner.stop()
    assert log == ["recorder flushed"]
    assert runner.stop_failures == 1


async def test_an_interrupted_stop_still_flushes_the_rest_then_raises() -> None:
    log: list[str] = []

    async def flush() -> None:
        log.append("recorder flushed")

    async def interrupted() -> None:
        raise KeyboardInterrupt

    runner = Runner("svc", [Component("recorder", None, None, flush), Component("http", None, None, interrupted)])
    await runner.start()
    with pytest.raises(KeyboardInterrupt):
        await runner.stop()
    assert log == ["recorder flushed"]
