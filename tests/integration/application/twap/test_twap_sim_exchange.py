"""TWAP through the ccxt gateways on the sim-exchange server (Bybit V5 rows, ccxt's unified API on the Bybit face,
and the Binance face): a slice filled by more executions than one page lists, and a job id reused on a second
database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.bybit_server import Served, serve
from tests.support.twap import D, rig, sim_exchange_gateway
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.application.venue import OrderRequest
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.twap.spec import OrderStyle, TwapSpec, TwapSpecError
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

pytestmark = pytest.mark.integration
KINDS = ["bybit-v5", "unified", "binance"]


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    server = await serve(WallClock())
    yield server
    await server.runner.cleanup()


async def _gateway(kind: str, url: str) -> CcxtGateway:
    gateway = sim_exchange_gateway(kind, url)
    await gateway.load_instruments()
    return gateway


def _spec(qty: str, slices: int, style: OrderStyle = OrderStyle.MARKET) -> TwapSpec:
    return TwapSpec("x", Category.SPOT, "BTCUSDT", Side.BUY, 60 * slices, slices, quantity=D(qty), order_style=style)


def _bought(served: Served, account: str = "trader-1") -> Decimal:
    executions = served.venue.account(account).executions  # type: ignore[union-attr]
    return sum((e.exec_qty for e in executions if e.side is Side.BUY), Decimal(0))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_passive_slice_filled_by_more_executions_than_a_page_is_counted_in_full(
    kind: str, served: Served, tmp_path: Path
) -> None:
    gateway = await _gateway(kind, served.url)
    try:
        async with rig(tmp_path, gateways={"x": gateway}, venue=served.venue) as r:
            job = await r.service.create(_spec("0.44", 2, OrderStyle.PASSIVE_LIMIT), job_id="many")
            await r.run_until(job.job_id, lambda _: r.ordering.wake_ns is not None)  # slice 0 rests on the book
            ours = list(served.venue.account("trader-1").orders_newest_first(open_only=True))  # type: ignore[union-attr]
            assert len(ours) == 1 and ours[0].qty == D("0.22")
            price = ours[0].price
            ahead = OrderRequest(Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, D(1), price, TimeInForce.IOC)
            served.venue.place_order("trader-2", ahead)  # the maker's bid at that price was first in the queue
            small = OrderRequest(
                Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, D("0.0002"), price, TimeInForce.IOC
            )
            for _ in range(1100):  # 1100 executions: more than a page on Bybit (100) and on Binance (1000)
                served.venue.place_order("trader-2", small)
            done = await r.run_to_end(job.job_id)
            fills = await r.repo.fills(job.job_id)
            slices = await r.repo.slices(job.job_id, 0)
    finally:
        await gateway.close()
    assert done.status is JobStatus.COMPLETED
    assert done.filled_qty == D("0.44") == _bought(served)  # no over-fill: the exchange saw exactly the job's total
    assert slices[-1].filled_qty == D("0.22")
    assert len([f for f in fills if f.slice_index == 0]) == 1100
    assert sum((f.qty for f in fills), Decimal(0)) == D("0.44")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_job_id_already_on_the_accounts_orders_is_refused_on_a_second_database(
    kind: str, served: Served, tmp_path: Path
) -> None:
    gateway = await _gateway(kind, served.url)
    try:
        async with rig(tmp_path, gateways={"x": gateway}, venue=served.venue) as first:
            job = await first.service.create(_spec("0.02", 2), job_id="spotbuy2")
            done = await first.run_to_end(job.job_id)
            first_ids = {s.client_order_id for s in await first.repo.slices(job.job_id)}
        async with rig(tmp_path, gateways={"x": gateway}, venue=served.venue) as second:  # a fresh database
            with pytest.raises(TwapSpecError, match="already on orders of this x account"):
                await second.service.create(_spec("0.05", 2), job_id="spotbuy2")
            assert await second.service.list() == []  # nothing stored
            other = await second.service.create(_spec("0.05", 2), job_id="spotbuy3")
            finished = await second.run_to_end(other.job_id)
    finally:
        await gateway.close()
    assert done.filled_qty == D("0.02") and finished.filled_qty == D("0.05")
    assert _bought(served) == D("0.07")
    assert all(cid is not None and cid.startswith("tw-spotbuy2_") for cid in first_ids)
