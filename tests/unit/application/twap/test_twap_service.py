"""TwapService over fakes: create, pause, resume, cancel and report change the stored job and tell the scheduler."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.waiting import wait_for
from tradewind.application.twap.service import JobNotFound, JobTransitionError, TwapSpecError
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus

from .twap_rig import Twap, spec

J1 = JobId("j1")


def commands(twap: Twap) -> list[tuple[str, str]]:
    return [(m.payload["action"], m.payload["job_id"]) for m in twap.messages("twap.command")]


async def test_create_stores_a_running_job_planned_to_the_quantity_and_tells_the_scheduler(twap: Twap) -> None:
    job = await twap.service.create(spec(), job_id="j1")

    stored = await twap.service.get("j1")
    assert stored == job and job.status is JobStatus.RUNNING
    assert job.total_qty == Decimal("0.01") and job.slices == 4
    assert sum(job.plan) * job.qty_step == job.total_qty
    assert job.tick_size == Decimal("0.1")  # the instrument's, so rendering never asks the exchange
    assert job.start_ns == twap.clock.now_ns()
    await wait_for(lambda: commands(twap) == [("create", "j1")])
    assert twap.logs.events("j1") == ["twap.created"]


async def test_a_notional_job_is_sized_once_at_the_arrival_price(twap: Twap) -> None:
    job = await twap.service.create(spec(quantity=None, notional=Decimal("1000")), job_id="j1")

    assert job.spec.notional is None
    assert job.total_qty == job.spec.quantity == Decimal("0.01")  # 1000 USDT at the mid, 100 000


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"exchange": "nowhere"}, "unknown exchange 'nowhere': use one of fake"),
        ({"symbol": "DOGEUSDT"}, "unknown symbol 'DOGEUSDT'"),
        ({"slices": 1000}, "less than one second apart"),
        ({"limit_price": Decimal("100000.05")}, "not on BTCUSDT's tick size"),
    ],
)
async def test_a_bad_spec_is_refused_with_the_reason_and_stores_nothing(
    twap: Twap, changes: dict[str, object], names: str
) -> None:
    with pytest.raises(TwapSpecError, match=names):
        await twap.service.create(spec(**changes), job_id="j1")

    assert await twap.service.list() == []
    assert twap.messages("twap.command") == []


async def test_pause_then_resume_shifts_the_schedule_by_the_pause(twap: Twap) -> None:
    created = await twap.service.create(spec(), job_id="j1")
    await twap.service.pause("j1")
    await twap.clock.advance(90)

    paused = await twap.service.get("j1")
    resumed = await twap.service.resume("j1")

    assert paused.status is JobStatus.PAUSED
    assert resumed.status is JobStatus.RUNNING and resumed.start_ns == created.start_ns + 90 * 1_000_000_000
    assert await twap.service.get("j1") == resumed
    await wait_for(lambda: commands(twap) == [("create", "j1"), ("pause", "j1"), ("resume", "j1")])
    assert twap.logs.events("j1") == ["twap.created", "twap.paused", "twap.resumed"]


async def test_cancel_ends_the_job_and_a_second_cancel_is_refused(twap: Twap) -> None:
    await twap.service.create(spec(), job_id="j1")
    cancelled = await twap.service.cancel("j1")

    with pytest.raises(JobTransitionError, match="already cancelled"):
        await twap.service.cancel("j1")
    with pytest.raises(JobTransitionError, match="only a paused job can be resumed"):
        await twap.service.resume("j1")
    assert cancelled.status is JobStatus.CANCELLED and cancelled.end_ns == twap.clock.now_ns()
    assert await twap.service.get("j1") == cancelled
    await wait_for(lambda: commands(twap) == [("create", "j1"), ("cancel", "j1")])


async def test_an_unknown_job_is_named_in_the_error(twap: Twap) -> None:
    with pytest.raises(JobNotFound, match="no TWAP job 'nope'"):
        await twap.service.pause("nope")


async def test_report_compares_the_fills_with_the_prices_seen_per_slice(twap: Twap) -> None:
    await twap.service.create(spec(slices=2, runtime_s=120), job_id="j1")
    await twap.scheduler.tick()
    await twap.ordering.execute(J1, 0)
    await twap.clock.advance(60)
    await twap.scheduler.tick()
    await twap.ordering.execute(J1, 1)

    report = await twap.service.report("j1")

    assert report.filled_qty == Decimal("0.01") and report.avg_price == Decimal("100010")  # every slice at the ask
    assert report.market_twap == report.arrival_price == Decimal("100000")
    assert report.slippage_vs_arrival_bps == Decimal("1")  # paid 10 over a 100 000 mid
    assert [(s.index, s.status, s.filled_qty) for s in report.slices] == [
        (0, "done", Decimal("0.005")),
        (1, "done", Decimal("0.005")),
    ]
