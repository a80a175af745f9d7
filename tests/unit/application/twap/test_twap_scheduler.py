"""TwapScheduler over fakes: a slice is dispatched when the simulated clock reaches it, once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest

from tests.support.waiting import wait_for
from tradewind.application.ports.repositories import LogRecord, StoreUnavailable
from tradewind.application.ports.twap import WakeOutOfRange, Waker
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.settings import TwapSettings
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus, TwapJob
from tradewind.domain.twap.slicer import slice_client_order_id
from tradewind.domain.twap.spec import CatchUpPolicy

from .twap_rig import Twap, spec

MINUTE = 60 * 1_000_000_000
J1 = JobId("j1")


def dispatched(twap: Twap) -> list[int]:
    return [m.payload["index"] for m in twap.messages("twap.slice")]


async def test_the_first_slice_is_dispatched_at_once_and_looked_at_again_after_the_redispatch_time(twap: Twap) -> None:
    await twap.service.create(spec(runtime_s=400), job_id="j1")  # a slice every 100 s

    wake = await twap.scheduler.tick()

    await wait_for(lambda: dispatched(twap) == [0])
    stored = await twap.repo.get_job(J1)
    assert stored is not None and stored.in_flight and stored.dispatched == 0
    assert wake == twap.clock.now_ns() + MINUTE  # in flight: looked at again after redispatch_after_s (60 s)


async def test_a_slice_in_flight_is_not_dispatched_again_before_the_redispatch_time(twap: Twap) -> None:
    await twap.service.create(spec(), job_id="j1")
    await twap.scheduler.tick()
    await twap.clock.advance(59)
    await twap.scheduler.tick()
    await twap.clock.advance(1)
    await twap.scheduler.tick()

    await wait_for(lambda: dispatched(twap) == [0, 0])
    assert twap.logs.events("j1")[-1] == "twap.slice_redispatched"


async def test_a_job_not_yet_due_returns_its_due_time_and_dispatches_nothing(twap: Twap) -> None:
    job = await twap.service.create(spec(runtime_s=400), job_id="j1")
    await twap.scheduler.tick()
    await twap.ordering.execute(J1, 0)

    wake = await twap.scheduler.tick()

    assert wake == job.due_ns(1) == job.start_ns + 100 * 1_000_000_000
    await asyncio.sleep(0)
    assert dispatched(twap) == [0]


async def test_after_downtime_the_latest_due_slice_goes_and_the_missed_ones_are_named(twap: Twap) -> None:
    await twap.service.create(spec(catch_up=CatchUpPolicy.CATCH_UP), job_id="j1")
    await twap.clock.advance(150)  # slices 0, 1 and 2 are due

    await twap.scheduler.tick()

    await wait_for(lambda: dispatched(twap) == [2])
    caught_up = [r for r in twap.logs.records if r.event == "twap.caught_up"]
    assert [dict(r.fields) for r in caught_up] == [{"missed": "0,1", "index": 2}]


async def test_a_paused_job_gets_no_slice(twap: Twap) -> None:
    await twap.service.create(spec(), job_id="j1")
    await twap.service.pause("j1")

    assert await twap.scheduler.tick() is None
    await asyncio.sleep(0)
    assert dispatched(twap) == []


async def test_the_running_services_finish_a_job_on_the_simulated_clock(twap: Twap) -> None:
    await twap.scheduler.start()
    await twap.ordering.start()
    stop = asyncio.Event()
    runner = asyncio.create_task(twap.scheduler.run(stop))
    job = await twap.service.create(spec(), job_id="j1")

    async with asyncio.timeout(10):  # an upper bound: the hour-long schedule runs in milliseconds
        while (stored := await twap.repo.get_job(J1)) is not None and not stored.status.is_final:
            if twap.scheduler.wake_ns is not None and not twap.ordering.busy:
                await twap.clock.advance_to(max(twap.scheduler.wake_ns, twap.clock.now_ns()))
            await asyncio.sleep(0)
    stop.set()
    await runner

    assert stored is not None and stored.filled_qty == job.total_qty
    expected = [slice_client_order_id(J1, i, 0, job.order_tag) for i in range(4)]
    assert job.order_tag and [p.client_order_id for p in twap.exchange.placed] == expected
    slice_times = [r.ts_ns - job.start_ns for r in await twap.repo.slices(J1)]
    assert slice_times == [0, MINUTE, 2 * MINUTE, 3 * MINUTE]


def _unprocessable(job: TwapJob, job_id: str) -> TwapJob:
    """A stored row the scheduler cannot work with: slices planned but no due times for them."""
    return replace(job, job_id=JobId(job_id), offsets_ns=(), order_tag="bad")


async def test_a_job_that_crashes_its_tick_is_quarantined_and_the_healthy_job_completes(twap: Twap) -> None:
    await twap.scheduler.start()
    await twap.ordering.start()
    healthy = await twap.service.create(spec(), job_id="j1")
    await twap.repo.add_job(_unprocessable(healthy, "bad"))
    stop = asyncio.Event()
    runner = asyncio.create_task(twap.scheduler.run(stop))

    async with asyncio.timeout(10):  # an upper bound: the hour-long schedule runs in milliseconds
        while (stored := await twap.repo.get_job(J1)) is not None and not stored.status.is_final:
            if twap.scheduler.wake_ns is not None and not twap.ordering.busy:
                await twap.clock.advance_to(max(twap.scheduler.wake_ns, twap.clock.now_ns()))
            await asyncio.sleep(0)
    stop.set()
    await runner  # the scheduler itself never died

    assert stored is not None and stored.status is JobStatus.COMPLETED and stored.filled_qty == healthy.total_qty
    bad = await twap.repo.get_job(JobId("bad"))
    assert bad is not None and bad.status is JobStatus.FAILED
    assert bad.reason == "quarantined: IndexError: tuple index out of range"
    assert "twap.quarantined" in twap.logs.events("bad")
    assert all(m.payload["job_id"] == "j1" for m in twap.messages("twap.slice"))  # nothing sent for it


async def test_a_quarantined_job_is_not_looked_at_again(twap: Twap) -> None:
    healthy = await twap.service.create(spec(), job_id="j1")
    await twap.repo.add_job(_unprocessable(healthy, "bad"))
    await twap.scheduler.tick()
    first = await twap.repo.get_job(JobId("bad"))
    await twap.scheduler.tick()  # no second crash, no second quarantine
    assert first is not None and first.status is JobStatus.FAILED
    assert twap.logs.events("bad").count("twap.quarantined") == 1


async def test_an_outage_of_the_store_is_not_blamed_on_the_job(twap: Twap) -> None:
    await twap.service.create(spec(), job_id="j1")
    outage = StoreUnavailable("connection refused")
    saved, read = twap.repo.save_job, twap.repo.get_job

    async def down(*_args: object, **_kwargs: object) -> None:
        raise outage

    twap.repo.save_job = down  # type: ignore[method-assign]
    twap.repo.get_job = down  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        await twap.scheduler.tick()  # the whole tick fails; run() waits the outage out
    twap.repo.save_job, twap.repo.get_job = saved, read  # type: ignore[method-assign]
    job = await twap.repo.get_job(J1)
    assert job is not None and job.status is JobStatus.RUNNING


async def test_the_running_scheduler_waits_out_a_store_outage_and_dispatches_when_it_is_back(twap: Twap) -> None:
    """An outage is not a crash: the loop keeps running (liveness green), says so, and resumes by itself."""
    await twap.service.create(spec(), job_id="j1")
    listed = twap.repo.list_jobs
    calls = 0

    async def down(*_args: object, **_kwargs: object) -> list[TwapJob]:
        nonlocal calls
        calls += 1
        raise StoreUnavailable("connection refused")

    twap.repo.list_jobs = down  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(twap.scheduler.run(stop))
    await wait_for(lambda: twap.scheduler.outage is not None and calls >= 2)  # retried, not given up
    assert not running.done() and dispatched(twap) == []
    twap.repo.list_jobs = listed  # type: ignore[method-assign]
    await wait_for(lambda: dispatched(twap) == [0])
    await wait_for(lambda: twap.scheduler.outage is None)
    stop.set()
    await running
    job = await twap.repo.get_job(J1)
    assert job is not None and job.status is JobStatus.RUNNING


async def test_an_error_the_job_row_can_still_be_read_past_is_the_jobs_own(twap: Twap) -> None:
    """A job-level failure whose cause is not a known outage, while the store still answers: quarantined."""
    await twap.service.create(spec(), job_id="j1")
    saved = twap.repo.save_job

    async def refuses(job: TwapJob, logs: Sequence[LogRecord] = ()) -> None:
        if job.status is JobStatus.RUNNING:
            raise ValueError("numeric field overflow\nDETAIL: a precision 28 field")
        await saved(job, logs)

    twap.repo.save_job = refuses  # type: ignore[method-assign]
    await twap.scheduler.tick()
    job = await twap.repo.get_job(J1)
    assert job is not None and job.status is JobStatus.FAILED
    assert job.reason == "quarantined: ValueError: numeric field overflow"


class OutOfRangeWaker:
    """A waker that cannot hold one job's wake-up time, as APScheduler cannot beyond year 9999."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.synced: dict[JobId, int] = {}

    async def start(self, wake: object) -> None:
        pass

    async def sync(self, wakes: Mapping[JobId, int]) -> None:
        if self.refused in wakes:
            raise WakeOutOfRange(JobId(self.refused), "date value out of range")
        self.synced = dict(wakes)

    async def pending(self) -> dict[JobId, int]:
        return dict(self.synced)

    async def close(self) -> None:
        pass


_conforms: Waker = OutOfRangeWaker("x")


async def test_a_job_whose_wake_up_the_waker_cannot_hold_is_quarantined_and_the_others_synced(twap: Twap) -> None:
    waker = OutOfRangeWaker("far")
    scheduler = TwapScheduler(twap.repo, twap.bus, twap.clock, JobJournal(twap.logs, twap.clock), TwapSettings(), waker)
    await twap.service.create(spec(runtime_s=400), job_id="j1")
    await twap.service.create(spec(runtime_s=400), job_id="far")
    await scheduler.start()
    stop = asyncio.Event()
    runner = asyncio.create_task(scheduler.run(stop))
    await wait_for(lambda: set(waker.synced) == {J1})
    stop.set()
    await runner
    await scheduler.close()
    far = await twap.repo.get_job(JobId("far"))
    assert far is not None and far.status is JobStatus.FAILED
    assert far.reason == "quarantined: WakeOutOfRange: job far: wake-up time out of range: date value out of range"
