"""dump_orders_to_db with the order stream: a fill of ours that no fetch call ever saw lands in ``orders``."""

from __future__ import annotations

from decimal import Decimal

from tests.support.order_stream import OrderEvents, until_streaming
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.order_repository import SqlOrderRepository
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.application.venue import OrderRequest
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.order_events import OrderEventKind
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, OrderType, Side
from tradewind.settings import Settings

KEY = "tradewind-demo-key"
ON = RecorderSettings(kinds=(), dump_orders_to_db=True, batch_size=1000, flush_interval_s=60)


async def test_a_streamed_fill_is_stored_without_any_fetch(database: Database) -> None:
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    simulator, venue = market_and_venue(Settings(), clock, bus)
    await simulator.step_until(clock.now_ns() + 3_000_000_000)  # the swarm's books get liquidity
    orders = SqlOrderRepository(database)
    recorder = MarketDataRecorder(bus, SqlMarketDataRepository(database), SimClock(), ON, orders)
    await recorder.start()
    events = await OrderEvents().attach(bus)
    gateway = PublishingGateway(SimGateway(venue, KEY), bus, clock)
    await gateway.start()
    try:
        await until_streaming(events, venue, KEY)
        # Sent around the gateway: only the stream can tell the bus about this order.
        market = OrderRequest(
            Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01"), order_link_id="m-1"
        )
        order = venue.place_order(KEY, market)
        assert order.cum_exec_qty == Decimal("0.01")
        await wait_for(events.has_state("m-1", OrderState.FILLED))
        await wait_for(lambda: recorder.stats.received == len(events.seen))
        await recorder.stop()
    finally:
        await gateway.close()
        await bus.close()

    rows = await orders.orders("sim", "m-1")
    account = venue.account(KEY)
    assert account is not None
    executions = [e for e in account.executions if e.order_link_id == "m-1"]
    fills = [r for r in rows if r.kind is OrderEventKind.FILL]
    assert executions and sorted(r.trade_id for r in fills) == sorted(e.exec_id for e in executions)
    stored = sorted((r.price, r.qty, r.fee) for r in fills)
    assert stored == sorted((e.exec_price, e.exec_qty, e.fee) for e in executions)
    (state,) = [r for r in rows if r.kind is OrderEventKind.STATE]
    assert (state.state, state.filled_qty, state.avg_price) == (OrderState.FILLED, Decimal("0.01"), order.avg_price)
