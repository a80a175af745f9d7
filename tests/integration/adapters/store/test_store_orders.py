"""dump_orders_to_db: the gateways' ``order.event`` (states and fills of our orders) stored in ``orders``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from tests.support.waiting import WaitUntil
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.order_repository import SqlOrderRepository
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.application.ports.exchange import OrderRejected
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.ids import new_client_order_id
from tradewind.domain.instruments import FilterError
from tradewind.domain.order_events import ORDER_TOPIC, OrderEventKind, OrderUpdate, order_update_from_payload
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side
from tradewind.settings import Settings

# Orders only: the venue's own market data (md.*) would be recorded too and blur the counts.
ON = RecorderSettings(kinds=(), dump_orders_to_db=True, batch_size=1000, flush_interval_s=60)
OFF = RecorderSettings(kinds=(), dump_orders_to_db=False)


@dataclass
class Trading:
    bus: InMemoryBus
    gateway: PublishingGateway
    mid: Decimal


@pytest.fixture
async def trading() -> AsyncIterator[Trading]:
    """A seeded swarm stepped for a few simulated seconds (so books have liquidity), one sim account."""
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    simulator, venue = market_and_venue(Settings(), clock, bus)
    await simulator.step_until(clock.now_ns() + 3_000_000_000)
    mid = venue.engine(Category.LINEAR, "BTCUSDT").mid()
    assert mid is not None
    gateway = PublishingGateway(SimGateway(venue, "tradewind-demo-key"), bus, clock)
    try:
        yield Trading(bus, gateway, mid)
    finally:
        await bus.close()


def intent(side: Side, order_type: OrderType, qty: str, price: Decimal | None = None) -> OrderIntent:
    return OrderIntent(new_client_order_id(), "sim", Category.LINEAR, "BTCUSDT", side, order_type, Decimal(qty), price)


async def test_order_states_fills_and_rejects_are_stored_when_the_switch_is_on(
    trading: Trading, database: Database, wait_until: WaitUntil
) -> None:
    orders = SqlOrderRepository(database)
    recorder = MarketDataRecorder(trading.bus, SqlMarketDataRepository(database), SimClock(), ON, orders)
    await recorder.start()
    gw = trading.gateway
    resting = intent(Side.BUY, OrderType.LIMIT, "0.01", (trading.mid * Decimal("0.8")).quantize(Decimal("0.1")))
    await gw.place_order(resting)
    await gw.fetch_order(Category.LINEAR, "BTCUSDT", resting.client_order_id)  # unchanged: not published again
    await gw.cancel_order(Category.LINEAR, "BTCUSDT", resting.client_order_id)
    market = intent(Side.BUY, OrderType.MARKET, "0.01")
    filled = await gw.place_order(market)
    fills = await gw.fetch_fills(Category.LINEAR, "BTCUSDT", client_order_id=market.client_order_id)
    await gw.fetch_fills(Category.LINEAR, "BTCUSDT", client_order_id=market.client_order_id)  # same fills: once
    tiny = intent(Side.BUY, OrderType.LIMIT, "0.001", Decimal("1.0"))  # below min notional: never leaves
    with pytest.raises(FilterError):
        await gw.place_order(tiny)
    huge = intent(Side.BUY, OrderType.LIMIT, "1000", resting.price)  # more than the account's margin
    with pytest.raises(OrderRejected):
        await gw.place_order(huge)
    expected = 2 + 1 + len(fills) + 1
    await wait_until(lambda: recorder.stats.received == expected, what="all order events received")
    await recorder.stop()

    rows = await orders.orders("sim", resting.client_order_id)
    assert [(r.kind, r.state) for r in rows] == [
        (OrderEventKind.STATE, OrderState.NEW),
        (OrderEventKind.STATE, OrderState.CANCELLED),
    ]
    assert rows[0].price == resting.price and rows[0].qty == Decimal("0.01") and rows[0].side is Side.BUY
    market_rows = await orders.orders("sim", market.client_order_id)
    assert market_rows[0].state is filled.state is OrderState.FILLED
    assert market_rows[0].filled_qty == Decimal("0.01") and market_rows[0].avg_price == filled.avg_price
    fill_rows = [r for r in market_rows if r.kind is OrderEventKind.FILL]
    assert fills and sorted(r.trade_id for r in fill_rows) == sorted(f.trade_id for f in fills)
    assert sum((r.filled_qty for r in fill_rows), Decimal(0)) == Decimal("0.01")
    assert await orders.orders("sim", tiny.client_order_id) == []
    (rejected,) = await orders.orders("sim", huge.client_order_id)
    assert rejected.state is OrderState.REJECTED and rejected.reject_reason


async def test_order_events_are_not_stored_when_the_switch_is_off(
    trading: Trading, sqlite_database: Database, wait_until: WaitUntil
) -> None:
    orders = SqlOrderRepository(sqlite_database)
    recorder = MarketDataRecorder(trading.bus, SqlMarketDataRepository(sqlite_database), SimClock(), OFF, orders)
    await recorder.start()
    seen: list[str] = []

    async def on_event(message: object) -> None:
        seen.append(order_update_from_payload(message.payload).client_order_id)  # type: ignore[attr-defined]

    await trading.bus.subscribe(ORDER_TOPIC, on_event)
    sent = intent(Side.BUY, OrderType.LIMIT, "0.01", (trading.mid * Decimal("0.8")).quantize(Decimal("0.1")))
    await trading.gateway.place_order(sent)
    await wait_until(lambda: seen == [sent.client_order_id], what="the order event published")
    await recorder.stop()
    assert await orders.orders("sim") == []
    assert recorder.stats.received == 0


def test_switch_on_without_an_order_repository_is_refused(sqlite_database: Database) -> None:
    with pytest.raises(ValueError, match="dump_orders_to_db"):
        MarketDataRecorder(InMemoryBus(), SqlMarketDataRepository(sqlite_database), SimClock(), ON)


async def test_a_fill_reported_twice_is_stored_once_and_a_repeated_state_is_kept(database: Database) -> None:
    repo = SqlOrderRepository(database)
    fill = OrderUpdate(
        OrderEventKind.FILL, "sim", Category.LINEAR, "BTCUSDT", "cid-1", 1_000, side=Side.BUY, exchange_order_id="o1",
        qty=Decimal("0.01"), price=Decimal("60000.1"), filled_qty=Decimal("0.01"), trade_id="t1", is_maker=False,
    )  # fmt: skip
    state = OrderUpdate(
        OrderEventKind.STATE, "sim", Category.LINEAR, "BTCUSDT", "cid-1", 2_000, exchange_order_id="o1",
        state=OrderState.FILLED, filled_qty=Decimal("0.01"),
    )  # fmt: skip
    await repo.add_orders([fill, state])
    await repo.add_orders([fill, state])  # pushed and polled: the same fill again, in the same batch as a state
    await repo.add_orders([replace(fill, exchange="other")])  # another exchange may reuse the trade id
    stored = await repo.orders("sim", "cid-1")
    assert [(u.kind, u.trade_id) for u in stored] == [
        (OrderEventKind.FILL, "t1"), (OrderEventKind.STATE, ""), (OrderEventKind.STATE, "")
    ]  # fmt: skip
    assert stored[0].price == Decimal("60000.1") and len(await repo.orders("other")) == 1
