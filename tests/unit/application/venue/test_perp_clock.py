"""The perp clock ticks the venue and publishes each settlement as ``funding.rate`` and each account's funding as
``funding.payment`` on the bus."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.spread import FUNDING, SETTLEMENT
from tradewind.application.ports.bus import Message
from tradewind.application.venue.perp_clock import PerpClock
from tradewind.application.venue.service import SimVenue
from tradewind.domain.spread.orders import FundingPayment, FundingSettlement
from tradewind.domain.values import Category, Side

from .venue_support import limit, make_venue, market

D = Decimal


def quoted_venue() -> tuple[SimVenue, SimClock]:
    """Spot and perp quoted around 60 000 (the index), the perp at it: the rate is the interest, 0.0001."""
    venue = make_venue()
    assert isinstance(venue.clock, SimClock)
    for category in (Category.SPOT, Category.LINEAR):
        venue.place_order("carol", limit(category, Side.BUY, "0.1", "59990"))
        venue.place_order("carol", limit(category, Side.SELL, "0.1", "60010"))
    return venue, venue.clock


async def test_each_settlement_is_published_once_with_the_amount_the_account_received() -> None:
    venue, clock = quoted_venue()
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


async def test_each_settlement_is_published_once_with_its_rate_and_mark_even_when_no_account_holds_the_perp() -> None:
    venue, clock = quoted_venue()
    bus = InMemoryBus()
    seen: list[FundingSettlement] = []
    payments: list[Message] = []

    async def on_settlement(message: Message) -> None:
        seen.append(SETTLEMENT.decode(message.payload))
        assert message.topic == "funding.rate.sim.linear.BTCUSDT"

    async def on_payment(message: Message) -> None:
        payments.append(message)

    await bus.subscribe("funding.rate.#", on_settlement)
    await bus.subscribe("funding.payment.#", on_payment)
    ticker = PerpClock(venue, clock, bus, "sim")
    await ticker.step()
    due = venue.next_funding_time("BTCUSDT")
    await clock.advance(8 * 3600)
    await ticker.step()
    await ticker.step()  # nothing more is due
    await asyncio.sleep(0)
    await bus.close()
    assert seen == [
        FundingSettlement(f"settle:sim:BTCUSDT:{due}", "sim", Category.LINEAR, "BTCUSDT", D("0.0001"), D("60000"),
                          due * 1_000_000)
    ]  # fmt: skip
    assert venue.funding_history("BTCUSDT")[0].rate == D("0.0001")
    assert payments == [] and ticker.settlements == 1 and ticker.published == 0
