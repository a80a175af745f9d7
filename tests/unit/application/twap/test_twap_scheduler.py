"""TwapScheduler over fakes: a slice is dispatched when the simulated clock reaches it, once, in order."""

from __future__ import annotations

import asyncio

from tests.support.waiting import wait_for
from tradewind.domain.ids import JobId
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
