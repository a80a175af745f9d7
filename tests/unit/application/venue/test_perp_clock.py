"""The perp clock ticks the venue and publishes each account's funding as ``funding.payment`` on the bus."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.spread import FUNDING
from tradewind.application.ports.bus import Message
from tradewind.application.venue.perp_clock import PerpClock
from tradewind.domain.spread.orders import FundingPayment
from tradewind.domain.values import Category, Side

from .venue_support import limit, make_venue, market

D = Decimal


async def test_each_settlement_is_published_once_with_the_amount_the_account_received() -> None:
    venue = make_venue()
    clock = venue.clock
    assert isinstance(clock, SimClock)
    for category in (Category.SPOT, Category.LINEAR):  # index 60 000, the perp at it: rate = interest 0.0001
        venue.place_order("carol", limit(category, Side.BUY, "0.1", "59990"))
        venue.place_order("carol", limit(category, Side.SELL, "0.1", "60010"))
    venue.place_order("bob", limit(Category.LINEAR, Side.SELL, "0.2", "60000"))
    venue.place_order("alice", market(Category.LINEAR, Side.BUY, "0.2"))  # alice long, bob short, at 60 000
    bus = InMemoryBus()
    seen: list[FundingPayment] = []

    async def on_funding(message: Message) -> None:
        seen.append(FUNDING.decode(message.payload))

    await bus.subscribe("funding.payment.#", on_funding)
    ticker = PerpClock(venue, clock, bus, "sim")
    await ticker.step()
    await clock.advance(8 * 3600)
    await ticker.step()
    await asyncio.sleep(0)
    await bus.close()
    # Mark at settlement: median(60 000, 60 000 + basis 0, last 60 000); 0.2 x 60 000 x 0.0001 = 1.2.
    assert sorted((p.symbol, p.amount, p.exchange, p.category) for p in seen) == [
        ("BTCUSDT", D("-1.2"), "sim", Category.LINEAR),
        ("BTCUSDT", D("1.2"), "sim", Category.LINEAR),
    ]
    assert len({p.funding_id for p in seen}) == 2 and ticker.published == 2
