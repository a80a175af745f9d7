"""TWAP jobs in one process on the simulated clock: exact totals, price limits, pause/resume, catch-up."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.twap import MID, D, quote, rig
from tradewind.application.ports.repositories import LogRecord
from tradewind.domain.ids import ClientOrderId
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec, TwapSpecError
from tradewind.domain.values import Category, Side


def spec(side: Side = Side.BUY, qty: str = "0.6", slices: int = 60, **kw: object) -> TwapSpec:
    return TwapSpec("sim", Category.SPOT, "BTCUSDT", side, 3600, slices, quantity=D(qty), **kw)  # type: ignore[arg-type]


async def test_one_hour_sixty_slice_job_runs_on_the_simulated_clock_and_fills_the_total_exactly(
    tmp_path: Path,
) -> None:
    # The wall time it takes (under a second) is measured by bench/bench_twap.py, not asserted here.
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.6003"), job_id="hour")
        done = await r.run_to_end(job.job_id)
        fills = await r.repo.fills(job.job_id)
        view = await r.service.show(job.job_id)
    assert done.status is JobStatus.COMPLETED
    assert sum((f.qty for f in fills), Decimal(0)) == D("0.6003") == done.filled_qty
    assert len({s.index for s in view.slices}) == 60
    assert r.clock.now_ns() - done.start_ns >= 59 * 60 * 10**9
    events = [e.event for e in view.log]
    assert events[0] == "twap.created" and events[-1] == "twap.completed"
    assert events.count("twap.slice_sent") == 60


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
async def test_price_limit_stops_the_job_by_default(tmp_path: Path, side: Side) -> None:
    async with rig(tmp_path) as r:
        # The touch is MID +/- 10; a limit 30 away lets three levels trade, then the book is beyond it.
        limit = MID + 30 if side is Side.BUY else MID - 30
        job = await r.service.create(spec(side, qty="0.6", slices=10, limit_price=limit), job_id="stop")
        done = await r.run_to_end(job.job_id)
        fills = await r.repo.fills(job.job_id)
    assert done.status is JobStatus.STOPPED
    assert "beyond the limit" in done.reason
    assert fills and done.filled_qty < done.total_qty
    assert all((f.price <= limit) if side is Side.BUY else (f.price >= limit) for f in fills)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
async def test_price_limit_skip_policy_skips_slices_and_carries_on(tmp_path: Path, side: Side) -> None:
    async with rig(tmp_path) as r:
        limit = MID + 30 if side is Side.BUY else MID - 30
        job = await r.service.create(
            spec(side, qty="0.6", slices=10, limit_price=limit, limit_policy=LimitPolicy.SKIP), job_id="skip"
        )
        done = await r.run_to_end(job.job_id)
        view = await r.service.show(job.job_id)
    assert done.status is JobStatus.COMPLETED
    assert any(s.status is SliceStatus.SKIPPED for s in view.slices)
    assert max(s.index for s in view.slices) == 9  # every slice was considered, none stopped the job
    assert all((f.price <= limit) if side is Side.BUY else (f.price >= limit) for f in view.fills)
    assert "twap.limit_hit" in [e.event for e in view.log]


async def test_quantity_skipped_for_the_limit_rolls_into_a_later_slice(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(
            spec(qty="0.1", slices=4, limit_price=MID + 10, limit_policy=LimitPolicy.SKIP), job_id="back"
        )
        # Slices 0 and 1 take the 0.05 resting at MID+10; slice 2 sees MID+20, beyond the limit.
        await r.run_until(job.job_id, lambda j: j.next_index >= 3)
        quote(r.venue, levels=1)  # the price comes back before slice 3
        done = await r.run_to_end(job.job_id)
        view = await r.service.show(job.job_id)
    assert [s.status for s in view.slices][:3] == [SliceStatus.DONE, SliceStatus.DONE, SliceStatus.SKIPPED]
    assert view.slices[-1].target_qty == D("0.05")  # its own 0.025 plus slice 2's
    assert done.filled_qty == D("0.1")


async def test_bad_input_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        with pytest.raises(TwapSpecError, match="unknown symbol 'DOGEUSDT'"):
            await r.service.create(TwapSpec("sim", Category.SPOT, "DOGEUSDT", Side.BUY, 3600, 60, quantity=D(1)))
        with pytest.raises(TwapSpecError, match="size must be positive"):
            await r.service.create(spec(qty="-1"))
        with pytest.raises(TwapSpecError, match="below BTCUSDT's minimum order"):
            await r.service.create(spec(qty="0.0001"))
        with pytest.raises(TwapSpecError, match="unknown exchange 'nope'"):
            await r.service.create(TwapSpec("nope", Category.SPOT, "BTCUSDT", Side.BUY, 60, 6, quantity=D(1)))
        assert await r.service.list() == []


async def test_pause_shifts_the_schedule_and_resume_finishes_the_job(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.06", slices=6), job_id="pause")
        await r.clock.advance(1)
        await r.service.pause(job.job_id)
        await r.clock.advance(7200)
        resumed = await r.service.resume(job.job_id)
        done = await r.run_to_end(job.job_id)
        view = await r.service.show(job.job_id)
    assert resumed.start_ns > job.start_ns
    assert done.filled_qty == D("0.06")
    events = [e.event for e in view.log]
    assert "twap.paused" in events and "twap.resumed" in events
    assert "twap.caught_up" not in events


async def test_cancel_stops_sending(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.06", slices=6), job_id="cancel")
        cancelled = await r.service.cancel(job.job_id)
        await r.clock.advance(7200)
        slices = await r.repo.slices(job.job_id)
    assert cancelled.status is JobStatus.CANCELLED
    assert len(slices) <= 1


@pytest.mark.parametrize(
    ("policy", "event"), [(CatchUpPolicy.CATCH_UP, "twap.caught_up"), (CatchUpPolicy.SKIP, "twap.missed_skipped")]
)
async def test_missed_slices_follow_the_catch_up_policy(tmp_path: Path, policy: CatchUpPolicy, event: str) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.06", slices=6, catch_up=policy), job_id="gap")
        await r.run_until(job.job_id, lambda j: j.next_index >= 1 and not j.in_flight)
        r.stop.set()  # the scheduler is down while the clock moves past two slices
        await r.clock.advance(2 * 600 + 1)
        done_before = await r.job(job.job_id)
        r.stop.clear()
        task = asyncio.create_task(r.scheduler.run(r.stop))
        done = await r.run_to_end(job.job_id)
        r.stop.set()
        await task
        view = await r.service.show(job.job_id)
    assert done_before.status is JobStatus.RUNNING
    assert done.filled_qty == D("0.06")
    assert event in [e.event for e in view.log]


async def test_passive_limit_rests_then_the_unfilled_rolls_forward_and_the_last_slice_crosses(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.04", slices=4, order_style=OrderStyle.PASSIVE_LIMIT), job_id="pas")
        done = await r.run_to_end(job.job_id)
        view = await r.service.show(job.job_id)
    assert done.filled_qty == D("0.04")
    assert any(s.tif == "PostOnly" for s in view.slices)
    assert "twap.order_cancelled" in [e.event for e in view.log]


async def test_a_slices_journal_lines_are_stored_with_its_state_or_not_at_all(tmp_path: Path) -> None:
    """finish_slice stores the slice, the job and the lines that describe them in one transaction."""
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.01", slices=2), job_id="atom")  # slice 1 is due in 30 simulated min
        record = SliceRecord(
            job.job_id, 1, 0, ClientOrderId("tw-atom-1-0"), SliceStatus.DONE, D("0.005"), "Market", None, "IOC",
            r.clock.now_ns(),
        )  # fmt: skip
        line = LogRecord(r.clock.now_ns(), "info", "twap.probe", "tradewind.twap", job.job_id, {"index": 1})
        with pytest.raises(ValueError, match="level must be one of"):
            await r.repo.finish_slice(record, [], job, [replace(line, level="loud")])
        assert await r.repo.slices(job.job_id, 1) == []  # the refused line took the slice down with it
        await r.repo.finish_slice(record, [], job, [line])
        stored = await r.repo.slices(job.job_id, 1)
        view = await r.service.show(job.job_id)
    assert [s.status for s in stored] == [SliceStatus.DONE]
    assert [e.event for e in view.log].count("twap.probe") == 1
