"""What a trader expects of TWAP execution on the simulated clock: jobs that do not hold each other up, an exchange
down at restart that costs no slice and no oversized order, checks before the first slice, archived jobs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.bybit_server import Served, serve
from tests.support.twap import D, rig, sim_exchange_gateway
from tradewind.adapters.clock import WallClock
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.twap.service import JobTransitionError
from tradewind.application.twap.settings import TwapSettings
from tradewind.domain.twap.job import JobStatus, SliceStatus
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec, TwapSpecError
from tradewind.domain.values import Category, Side

pytestmark = pytest.mark.integration
_NS = 1_000_000_000


def spec(side: Side = Side.BUY, qty: str = "0.1", slices: int = 10, runtime_s: int = 600, **kw: object) -> TwapSpec:
    return TwapSpec("sim", Category.SPOT, "BTCUSDT", side, runtime_s, slices, quantity=D(qty), **kw)  # type: ignore[arg-type]


async def test_a_market_job_is_not_held_up_by_another_jobs_resting_orders(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        # The passive job's post-only orders rest (nobody trades against them) until just before its next slice.
        # job1 is listed, so dispatched, before job2 at each due time: one worker would serve its slice first.
        passive = await r.service.create(spec(order_style=OrderStyle.PASSIVE_LIMIT), job_id="job1")
        market = await r.service.create(spec(Side.SELL), job_id="job2")
        done = await r.run_to_end(market.job_id, timeout=30)
        await r.run_to_end(passive.job_id, timeout=30)
        sent = [s for s in await r.repo.slices(market.job_id) if s.attempt == 0]
    assert done.status is JobStatus.COMPLETED and len(sent) == 10
    late_ns = [s.ts_ns - done.due_ns(s.index) for s in sent]
    assert max(late_ns) <= 100_000_000, late_ns  # within 100 ms of its due time on the simulated clock


async def test_skipped_slices_are_journalled_as_skipped_not_filled(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        limit = D(100_000) + 30  # three levels trade under the limit, then every slice is beyond it
        job = await r.service.create(
            spec(qty="0.6", slices=10, limit_price=limit, limit_policy=LimitPolicy.SKIP), job_id="skips"
        )
        await r.run_to_end(job.job_id)
        view = await r.service.show(job.job_id)
    skipped = {s.index for s in view.slices if s.status is SliceStatus.SKIPPED}
    filled = {e.fields["index"] for e in view.log if e.event == "twap.slice_filled"}
    assert skipped and not skipped & filled
    assert {e.fields["index"] for e in view.log if e.event == "twap.slice_skipped"} == skipped


async def test_slices_below_the_minimum_order_value_are_refused_before_anything_is_stored(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        # 0.00065 BTC at about 100 000 is 65 USDT: 20 slices of 3.25 USDT, below BTCUSDT spot's 5 USDT minimum.
        with pytest.raises(TwapSpecError, match=r"minimum order value of 5 USDT: use at most 13 slices"):
            await r.service.create(spec(qty="0.00065", slices=20))
        assert await r.service.list() == []


@pytest.mark.parametrize(("side", "qty", "coin"), [(Side.BUY, "1001", "USDT"), (Side.SELL, "1000.5", "BTC")])
async def test_a_job_the_account_cannot_pay_for_is_refused_unless_allowed(
    tmp_path: Path, side: Side, qty: str, coin: str
) -> None:
    async with rig(tmp_path) as r:  # the trader holds 100 M USDT and 1000 BTC; 1001 BTC costs about 100.1 M USDT
        with pytest.raises(TwapSpecError, match=rf"has \d+ {coin} free.*allow_insufficient"):
            await r.service.create(spec(side, qty=qty, slices=60))
        assert await r.service.list() == []
        allowed = await r.service.create(spec(side, qty=qty, slices=60, allow_insufficient=True))
    assert allowed.spec.allow_insufficient and allowed.status is JobStatus.RUNNING


async def test_an_ended_job_can_be_archived_and_is_then_hidden_from_the_list(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        job = await r.service.create(spec(qty="0.02", slices=2), job_id="old")
        running = await r.service.create(spec(qty="0.02", slices=2), job_id="live")
        with pytest.raises(JobTransitionError, match="cancel it before archiving"):
            await r.service.archive(running.job_id)
        await r.run_to_end(job.job_id)
        archived = await r.service.archive(job.job_id)
        with pytest.raises(JobTransitionError, match="archived already"):
            await r.service.archive(job.job_id)
        listed = [j.job_id for j in await r.service.list()]
        everything = [j.job_id for j in await r.service.list(archived=True)]
        kept = await r.service.show(job.job_id)
    assert archived.archived and listed == ["live"] and sorted(everything) == ["live", "old"]
    assert kept.job.archived and kept.fills and "twap.archived" in [e.event for e in kept.log]


async def test_an_exchange_down_at_restart_costs_no_slice_and_catch_up_is_capped(tmp_path: Path) -> None:
    first = await serve(WallClock())
    port = int(first.url.rsplit(":", 1)[1])
    gateways: dict[str, ExchangeGateway] = {"x": sim_exchange_gateway("bybit-v5", first.url)}
    await gateways["x"].load_instruments()
    back: Served | None = None
    settings = TwapSettings(catch_up_max_slices=3)
    try:
        async with rig(tmp_path, gateways=gateways, venue=first.venue, settings=settings) as r:
            # 0.12 BTC in 12 slices of 0.01, one every 100 s: a catch-up order may carry 0.03 at most.
            job = await r.service.create(
                TwapSpec("x", Category.SPOT, "BTCUSDT", Side.BUY, 1200, 12, quantity=D("0.12"),
                         catch_up=CatchUpPolicy.CATCH_UP),
                job_id="downtime",
            )  # fmt: skip
            await r.run_until(job.job_id, lambda j: j.next_index >= 2 and not j.in_flight)
            # The TWAP process stops; the exchange goes down too; five slices fall due meanwhile.
            r.stop.set()
            await asyncio.sleep(0)
            await r.ordering.close()
            await first.runner.cleanup()
            await gateways["x"].close()
            await r.clock.advance(500)
            # TWAP restarts (a new gateway, its instruments not loaded) while the exchange is still down.
            gateways["x"] = sim_exchange_gateway("bybit-v5", first.url)
            r.stop.clear()
            await r.ordering.start()
            task = asyncio.create_task(r.scheduler.run(r.stop))
            down_until = r.clock.now_ns() + 30 * _NS
            await r.run_until(job.job_id, lambda _: r.clock.now_ns() >= down_until, timeout=30)
            back = await serve(WallClock(), venue=first.venue, port=port)
            returned = r.clock.now_ns()
            done = await r.run_to_end(job.job_id, timeout=30)
            r.stop.set()
            await task
            slices = await r.repo.slices(job.job_id)
            view = await r.service.show(job.job_id)
            dead = await r.bus.dead_letters(settings.slice_queue)
    finally:
        for gateway in gateways.values():
            await gateway.close()
        if back is not None:
            await back.runner.cleanup()
    assert dead == []
    assert done.status is JobStatus.COMPLETED and done.filled_qty == D("0.12")
    after = [s for s in slices if s.ts_ns >= returned and s.client_order_id is not None]
    assert after and after[0].ts_ns - returned <= 5 * _NS  # resumed within a few seconds of the exchange's return
    assert max(s.target_qty for s in slices) <= D("0.03")  # no order above the catch-up cap
    assert "twap.exchange_waiting" in [e.event for e in view.log]
