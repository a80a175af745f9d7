"""Helpers for the order-stream tests: the ``order.event`` messages a bus carried, and venue-side trades of others."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

from tests.support.bybit_server import Served
from tests.support.bybit_ws import ws_server
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.application.ports.bus import Bus, Message
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.venue import Order, OrderRequest, SimVenue
from tradewind.domain.order_events import ORDER_TOPIC, OrderEventKind, OrderUpdate, order_update_from_payload
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, OrderType, Side

SYMBOL = "BTCUSDT"


class OrderEvents:
    """Every ``order.event`` published on a bus, decoded, in arrival order."""

    def __init__(self) -> None:
        self.seen: list[OrderUpdate] = []

    async def attach(self, bus: Bus) -> OrderEvents:
        async def on_event(message: Message) -> None:
            self.seen.append(order_update_from_payload(message.payload))

        await bus.subscribe(ORDER_TOPIC, on_event)
        return self

    def of(self, client_order_id: str) -> list[OrderUpdate]:
        return [u for u in self.seen if u.client_order_id == client_order_id]

    def fills(self, client_order_id: str) -> list[OrderUpdate]:
        return [u for u in self.of(client_order_id) if u.kind is OrderEventKind.FILL]

    def states(self, client_order_id: str) -> list[tuple[OrderState | None, Decimal]]:
        return [(u.state, u.filled_qty) for u in self.of(client_order_id) if u.kind is OrderEventKind.STATE]

    def has_state(self, client_order_id: str, state: OrderState) -> Callable[[], bool]:
        return lambda: any(s == state for s, _ in self.states(client_order_id))


def limit(venue: SimVenue, key: str, side: Side, qty: str, price: str, *, link_id: str = "") -> Order:
    """A spot limit order placed straight on the venue for account ``key`` (no gateway involved)."""
    request = OrderRequest(
        Category.SPOT, SYMBOL, side, OrderType.LIMIT, Decimal(qty), Decimal(price), order_link_id=link_id
    )
    return venue.place_order(key, request)


async def until_streaming(events: OrderEvents, venue: SimVenue, key: str) -> None:
    """Place probe orders of ours on the venue until one is published: the order stream is then connected (a push
    happening before the stream subscribes is lost, as on Bybit). Probes are named ``probe-N``."""
    for n in itertools.count():
        await asyncio.sleep(0)  # a stream task started just now subscribes on its first step
        probe = f"probe-{n}"
        limit(venue, key, Side.SELL, "0.001", "70000", link_id=probe)
        with contextlib.suppress(TimeoutError):  # a probe before the subscription is never pushed: try another
            await wait_for(events.has_state(probe, OrderState.NEW), timeout=0.5)
            return


@contextlib.asynccontextmanager
async def following(
    inner: ExchangeGateway, served: Served, key: str
) -> AsyncIterator[tuple[PublishingGateway, OrderEvents]]:
    """``inner`` wrapped to publish on a bus, its order stream followed and subscribed on the server's private hub."""
    bus = InMemoryBus()
    await bus.start()
    gateway = PublishingGateway(inner, bus, WallClock(), reconnect_min_s=0.01)
    await gateway.load_instruments()
    events = await OrderEvents().attach(bus)
    await gateway.start()
    hub = ws_server(served).private
    await wait_for(lambda: hub.subscribers(key, "order") == hub.subscribers(key, "execution") == 1)
    try:
        yield gateway, events
    finally:
        await gateway.close()
        await bus.close()
