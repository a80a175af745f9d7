"""APScheduler's persisted TWAP wake-ups (the ``Waker`` port) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.support.waiting import WaitUntil
from tradewind.adapters.scheduling.apscheduler_waker import ApschedulerWaker, to_datetime, to_ns
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.ports.twap import WakeOutOfRange
from tradewind.domain.ids import JobId

HOUR_NS = 3600 * 10**9
A, B = JobId("job-a"), JobId("job-b")


def _now_us() -> int:
    return time.time_ns() // 1000 * 1000  # whole microseconds: what the job store keeps exactly


@asynccontextmanager
async def running(database: Database, wake: Callable[[], None] = lambda: None) -> AsyncIterator[ApschedulerWaker]:
    waker = ApschedulerWaker(database)
    await waker.start(wake)
    try:
        yield waker
    finally:
        await waker.close()


def _rows(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar_one())


async def test_a_wake_up_beyond_what_a_datetime_holds_is_refused_naming_its_job(database: Database) -> None:
    later = _now_us() + HOUR_NS
    async with running(database) as waker:
        await waker.sync({A: later})
        with pytest.raises(WakeOutOfRange, match="job-b") as refused:
            await waker.sync({A: later + 10**9, B: 10**9 * 10**15})  # a runtime of 10^12 s: after year 9999
        assert refused.value.job_id == B
        assert await waker.pending() == {A: later}  # nothing changed


async def test_wake_ups_survive_a_restart_of_the_waker(database: Database) -> None:
    later = _now_us() + HOUR_NS
    async with running(database) as waker:
        await waker.sync({A: later, B: later + 10**9})

    assert _rows(database) == 2  # in APScheduler's table, not in the closed object
    async with running(database) as restarted:
        assert await restarted.pending() == {A: later, B: later + 10**9}


async def test_a_cancelled_jobs_wake_up_is_removed_and_a_moved_one_is_updated(database: Database) -> None:
    later = _now_us() + HOUR_NS
    async with running(database) as waker:
        await waker.sync({A: later, B: later})
        await waker.sync({A: later + 5 * 10**9})  # B cancelled (or finished, or paused); A's next slice moved
        assert await waker.pending() == {A: later + 5 * 10**9}

    async with running(database) as restarted:
        assert await restarted.pending() == {A: later + 5 * 10**9}
        await restarted.sync({})
        assert await restarted.pending() == {}
    assert _rows(database) == 0


async def test_a_due_wake_up_fires_and_is_then_gone(database: Database, wait_until: WaitUntil) -> None:
    woken = asyncio.Event()
    async with running(database, woken.set) as waker:
        await waker.sync({A: _now_us() - 10**9, B: _now_us() + HOUR_NS})
        await asyncio.wait_for(woken.wait(), 10)

        async def fired_one_gone() -> bool:
            return A not in await waker.pending()

        await wait_until(fired_one_gone, timeout=10, what="the fired wake-up leaving the store")
        assert set(await waker.pending()) == {B}
        assert waker.fired == 1


async def test_a_wake_up_missed_while_nothing_ran_fires_at_the_next_start(
    database: Database, wait_until: WaitUntil
) -> None:
    due = _now_us() + 300_000_000
    async with running(database) as waker:
        await waker.sync({A: due})
    assert _rows(database) == 1
    await wait_until(lambda: time.time_ns() > due, timeout=10, what="the wake-up time to pass")

    woken = asyncio.Event()
    async with running(database, woken.set) as restarted:
        await asyncio.wait_for(woken.wait(), 10)
        assert restarted.fired == 1
    assert _rows(database) == 0


async def test_the_periodic_re_check_wakes_with_no_job_stored(database: Database) -> None:
    woken = asyncio.Event()
    waker = ApschedulerWaker(database, poll_s=0.05)
    await waker.start(woken.set)
    try:
        await asyncio.wait_for(woken.wait(), 10)
        assert await waker.pending() == {}  # the re-check lives in memory, never in the table
    finally:
        await waker.close()


async def test_using_a_waker_before_start_is_refused(database: Database) -> None:
    waker = ApschedulerWaker(database)
    with pytest.raises(RuntimeError, match="not started"):
        await waker.sync({A: _now_us()})


@given(st.integers(min_value=0, max_value=2**62))
def test_wake_times_round_up_to_the_microsecond_never_earlier(ns: int) -> None:
    back = to_ns(to_datetime(ns))
    assert ns <= back < ns + 1000
