"""SimGateway's order stream through PublishingGateway: a fill of our resting order by another venue account reaches
``order.event`` with no fetch call; other accounts' orders publish nothing; pushed and polled updates share one
de-duplication, and a failing bus loses an event without stopping the stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.support.bybit_server import seeded_venue
from tests.support.order_stream import SYMBOL, OrderEvents, limit, until_streaming
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.application.ports.bus import BusError, JsonObject
from tradewind.application.ports.exchange import OrderUpdateEvent, OrderUpdateStream
from tradewind.application.venue import SimVenue
from tradewind.domain.order_events import OrderEventKind
from tradewind.domain.orders import ExecutionFill, OrderIntent, OrderResult, OrderState
from tradewind.domain.values import Category, OrderType, Side

D = Decimal


class FlakyBus(InMemoryBus):
    """The in-memory bus, refusing the next ``fail`` publishes as a broker outage would."""

    fail = 0

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None:
        if self.fail:
            self.fail -= 1
            raise BusError("broker unreachable")
        await super().publish(topic, payload, headers=headers)


@dataclass
class Setup:
    venue: SimVenue
    bus: FlakyBus
    gateway: PublishingGateway
    events: OrderEvents


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    venue = seeded_venue(WallClock())
    bus = FlakyBus()
    await bus.start()
    gateway = PublishingGateway(SimGateway(venue, "trader-1"), bus, WallClock())
    await gateway.load_instruments()
    events = await OrderEvents().attach(bus)
    await gateway.start()
    await until_streaming(events, venue, "trader-1")
    try:
        yield Setup(venue, bus, gateway, events)
    finally:
        await gateway.close()
        await bus.close()


def resting(cid: str, qty: str = "0.012345", price: str = "59995.3") -> OrderIntent:
    """A spot buy above the seeded best bid (59 990) and below the best ask: it rests and is first to be hit."""
    return OrderIntent(cid, "sim", Category.SPOT, SYMBOL, Side.BUY, OrderType.LIMIT, D(qty), D(price))


async def sentinel(s: Setup, link_id: str) -> None:
    """An order of ours placed on the venue directly: once its push is published, every earlier push has been."""
    limit(s.venue, "trader-1", Side.SELL, "0.001", "70000", link_id=link_id)
    await wait_for(s.events.has_state(link_id, OrderState.NEW))


async def test_a_fill_by_another_account_is_published_without_any_fetch(setup: Setup) -> None:
    assert isinstance(SimGateway(setup.venue, "trader-1"), OrderUpdateStream)
    placed = await setup.gateway.place_order(resting("ours-1"))
    assert placed.state is OrderState.NEW
    theirs = limit(setup.venue, "trader-2", Side.SELL, "0.012345", "59995.3", link_id="theirs-1")
    assert theirs.cum_exec_qty == D("0.012345")  # it traded against our order
    await wait_for(setup.events.has_state("ours-1", OrderState.FILLED))
    limit(setup.venue, "trader-2", Side.BUY, "0.01", "59000", link_id="theirs-2")  # rests: another account's order
    await sentinel(setup, "sentinel-1")

    account = setup.venue.account("trader-1")
    assert account is not None
    (execution,) = [e for e in account.executions if e.order_link_id == "ours-1"]
    assert setup.events.states("ours-1") == [(OrderState.NEW, D(0)), (OrderState.FILLED, D("0.012345"))]
    (fill,) = setup.events.fills("ours-1")
    assert (fill.trade_id, fill.price, fill.qty, fill.fee, fill.fee_currency, fill.is_maker) == (
        execution.exec_id, D("59995.3"), D("0.012345"), execution.fee, "BTC", True,
    )  # fmt: skip
    assert {u.client_order_id for u in setup.events.seen if not u.client_order_id.startswith("probe-")} == {
        "ours-1", "sentinel-1",
    }  # fmt: skip


async def test_polled_and_pushed_updates_are_published_once_and_never_backwards(setup: Setup) -> None:
    await setup.gateway.place_order(resting("ours-2"))
    limit(setup.venue, "trader-2", Side.SELL, "0.005", "59995.3")  # part of it
    await wait_for(setup.events.has_state("ours-2", OrderState.PARTIALLY_FILLED))
    fills = await setup.gateway.fetch_fills(Category.SPOT, SYMBOL, client_order_id="ours-2")
    again = await setup.gateway.fetch_order(Category.SPOT, SYMBOL, "ours-2")
    assert len(fills) == 1 and again is not None and again.state is OrderState.PARTIALLY_FILLED
    await setup.gateway.cancel_order(Category.SPOT, SYMBOL, "ours-2")
    await sentinel(setup, "sentinel-2")
    assert setup.events.states("ours-2") == [
        (OrderState.NEW, D(0)),
        (OrderState.PARTIALLY_FILLED, D("0.005")),
        (OrderState.CANCELLED, D("0.005")),
    ]
    assert [f.trade_id for f in setup.events.fills("ours-2")] == [fills[0].trade_id]
    # A late, stale push (the order as it was before the fill) is not published after the final state.
    stale = OrderResult("ours-2", again.exchange_order_id, OrderState.NEW, symbol=SYMBOL, side=Side.BUY)
    await setup.gateway._take(OrderUpdateEvent(Category.SPOT, stale))
    await sentinel(setup, "sentinel-3")
    assert len(setup.events.states("ours-2")) == 3


async def test_a_bus_failure_loses_one_event_and_the_stream_goes_on(setup: Setup) -> None:
    await setup.gateway.place_order(resting("ours-3"))
    setup.bus.fail = 1  # the fill's event is lost (logged); the order's FILLED state after it is published
    limit(setup.venue, "trader-2", Side.SELL, "0.012345", "59995.3")
    await wait_for(setup.events.has_state("ours-3", OrderState.FILLED))
    await sentinel(setup, "sentinel-4")
    assert setup.gateway.streaming
    assert setup.events.fills("ours-3") == []
    assert [u.kind for u in setup.events.of("ours-3")] == [OrderEventKind.STATE, OrderEventKind.STATE]


def test_event_carries_either_a_result_or_a_fill() -> None:
    fill = ExecutionFill("t-1", "c-1", D("1.5"), D("2"), D(0), "USDT", False, 1, SYMBOL, Side.BUY)
    event = OrderUpdateEvent(Category.LINEAR, fill)
    assert event.update is fill
    with pytest.raises(AttributeError):
        event.category = Category.SPOT  # type: ignore[misc]
