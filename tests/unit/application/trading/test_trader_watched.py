"""The positions the trader watches itself, kept in memory: changed only by what was committed, loaded at start, and
what a tick decides from (no read of the deals table between the trade and the close order)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fakes.deals import FakeDeals
from tests.fakes.exchange import FakeExchange
from tests.support.signals import signal
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import TRADE
from tradewind.application.ports.exchange import ExchangeUnavailable
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import CloseReason, Deal, DealStatus, Protection, deal_client_order_id
from tradewind.domain.values import Category, Side

D = Decimal
SPOT = Category.SPOT


class CountingDeals(FakeDeals):
    """FakeDeals that names every read it answers, so a path that reads the table shows in ``reads``."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    async def by_client_order_id(self, exchange: str, client_order_id: str) -> Deal | None:
        self.reads.append("by_client_order_id")
        return await super().by_client_order_id(exchange, client_order_id)

    async def open_position(self, exchange: str, category: Category, symbol: str, source: str) -> Deal | None:
        self.reads.append("open_position")
        return await super().open_position(exchange, category, symbol, source)

    async def open_deals(self) -> list[Deal]:
        self.reads.append("open_deals")
        return await super().open_deals()

    async def deals(self, *, source: str | None = None, symbol: str | None = None, limit: int = 500) -> list[Deal]:
        self.reads.append("deals")
        return await super().deals(source=source, symbol=symbol, limit=limit)


class Rig:
    def __init__(self) -> None:
        self.exchange = FakeExchange("fake", bid=D("99990"), ask=D("100010"))
        self.deals = CountingDeals()
        self.clock = SimClock()
        self.bus = InMemoryBus()
        self.trader = self.restarted()

    def restarted(self) -> TraderService:
        """A trader over the same table, exchange and bus (what a restart of the process starts)."""
        return TraderService(self.deals, {"fake": self.exchange}, self.bus, self.clock, TraderSettings())

    def rows(self) -> list[Deal]:
        return sorted(self.deals.rows.values(), key=lambda d: d.id or 0)

    def sells(self) -> list[str]:
        return [i.client_order_id for i in self.exchange.placed if i.side is Side.SELL]

    async def tick(self, price: Decimal) -> None:
        """One trade of the spot market at ``price`` on ``md.trade``, as the market-data side publishes it."""
        ref = InstrumentRef("fake", SPOT, "BTCUSDT", "BTCUSDT")
        tick = TradeTick(ref, f"t{price}", price, D("0.001"), Side.SELL, self.clock.now_ns())
        await self.bus.publish("md.trade.fake.spot.BTCUSDT", TRADE.encode(tick))


@pytest.fixture
async def rig() -> Rig:
    the_rig = Rig()
    await the_rig.bus.start()
    return the_rig


def watched(trader: TraderService) -> list[tuple[Deal, Deal | None]]:
    return [(p.deal, p.unfinished) for p in trader.watched]


async def test_a_committed_buy_is_watched_as_stored_and_a_position_the_exchange_protects_is_not(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT, source="spot"))
    await rig.trader.handle(signal(sid="s2", source="linear"))  # protected on the exchange's position
    spot, linear = rig.rows()
    assert (spot.protection, linear.protection) == (Protection.WATCHED, Protection.EXCHANGE)
    assert watched(rig.trader) == [(spot, None)]


async def test_a_tick_past_the_stop_loss_sends_the_close_without_reading_the_table_then_unwatches(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT))
    (deal,) = rig.rows()
    assert deal.stop_loss is not None
    rig.deals.reads.clear()
    rig.exchange.bid, rig.exchange.ask = D("97000"), D("97010")
    await rig.tick(deal.stop_loss - 1)
    await wait_for(lambda: watched(rig.trader) == [])
    assert rig.deals.reads == []  # decided from memory; the record follows the order as a write
    assert rig.sells() == [deal_client_order_id(deal.signal_id, "x")]
    buy, sell = rig.rows()
    assert (buy.status, buy.stop_loss_hit, sell.status, sell.price) == (
        DealStatus.CLOSED, True, DealStatus.FILLED, D("97000"),
    )  # fmt: skip
    await rig.tick(deal.stop_loss - 2)  # a later tick finds nothing watched: never a second close
    assert len(rig.sells()) == 1


async def test_a_sell_signal_that_closes_a_watched_position_unwatches_it(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT, sid="open"))
    closed = await rig.trader.handle(signal(Action.SELL, category=SPOT, sid="close"))
    assert closed.outcome is Outcome.CLOSED and watched(rig.trader) == []
    (deal, _sell) = rig.rows()
    assert await rig.trader.close_watched(deal, CloseReason.STOP_LOSS) is None
    assert len(rig.sells()) == 1


async def test_a_close_the_exchange_refuses_rolls_back_and_leaves_the_watched_position_as_it_was(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT, sid="open"))
    before, rows = watched(rig.trader), rig.rows()
    rig.exchange.refuse = "insufficient balance"
    await rig.trader.handle(signal(Action.SELL, category=SPOT, sid="close"))  # stored first, refused, undone
    (deal,) = rows
    assert deal.stop_loss is not None
    await rig.tick(deal.stop_loss - 1)  # the protection close, refused too: nothing was written
    await wait_for(lambda: len(rig.sells()) == 2)
    assert rig.sells() == [deal_client_order_id("close", "s"), deal_client_order_id("open", "x")]
    assert rig.rows() == rows and watched(rig.trader) == before
    rig.exchange.refuse = None
    closed = await rig.trader.close_watched(deal, CloseReason.STOP_LOSS)
    assert closed is not None and closed.stop_loss_hit and watched(rig.trader) == []


async def test_a_close_whose_answer_was_lost_stays_watched_as_unfinished_and_a_tick_finishes_that_one(
    rig: Rig,
) -> None:
    await rig.trader.handle(signal(category=SPOT, sid="open"))
    rig.exchange.lose_answers = 1
    with pytest.raises(ExchangeUnavailable):  # the bus would redeliver this SELL
        await rig.trader.handle(signal(Action.SELL, category=SPOT, sid="close"))
    buy, sell = rig.rows()
    assert (buy.status, sell.status) == (DealStatus.CLOSING, DealStatus.PENDING)
    assert watched(rig.trader) == [(buy, sell)]  # what was committed before the order
    rig.deals.reads.clear()
    assert buy.stop_loss is not None
    await rig.tick(buy.stop_loss - 1)
    await wait_for(lambda: watched(rig.trader) == [])
    assert rig.deals.reads == []
    assert rig.sells() == [sell.client_order_id]  # the first close's order, found by its id, not a second one
    buy, sell = rig.rows()
    assert (buy.status, buy.manually_closed, sell.status) == (DealStatus.CLOSED, True, DealStatus.FILLED)


async def test_a_restart_loads_the_watched_positions_from_the_table_and_its_ticks_close_them(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT, sid="spot", source="spot"))
    await rig.trader.handle(signal(sid="linear", source="linear"))
    await rig.trader.stop()
    again = rig.restarted()
    assert again.watched == []
    await again.start()
    spot, _linear = rig.rows()
    assert watched(again) == [(spot, None)]
    assert spot.stop_loss is not None
    await rig.tick(spot.stop_loss - 1)
    await wait_for(lambda: watched(again) == [])
    assert rig.sells() == [deal_client_order_id("spot", "x")]
    await again.stop()


async def test_a_close_the_table_refuses_to_record_is_unwatched_and_shown_as_a_difference(rig: Rig) -> None:
    await rig.trader.handle(signal(category=SPOT))
    (deal,) = rig.rows()
    # Another writer closed the position behind this trader's back (one replica is the rule: the table still guards).
    elsewhere = deal.closed(CloseReason.MANUAL, D("99000"), D("0"), rig.clock.now_ns())
    await rig.deals.save(elsewhere)
    assert await rig.trader.close_watched(deal, CloseReason.STOP_LOSS) is None
    assert rig.rows() == [elsewhere]  # the finished deal was not rewritten, no second SELL recorded
    assert watched(rig.trader) == []
    (difference,) = rig.trader.differences
    assert "refused to record" in difference and f"deal {deal.id}" in difference


async def test_a_trailing_stop_ratchets_up_behind_the_ticks_and_its_close_reads_nothing_before_the_order() -> None:
    rig = Rig()
    rig.trader = TraderService(
        rig.deals, {"fake": rig.exchange}, rig.bus, rig.clock, TraderSettings(trailing_stop_pct=D("1"))
    )
    await rig.bus.start()
    await rig.trader.handle(signal(category=SPOT))
    (deal,) = rig.rows()
    assert deal.price == D("100010") and deal.best_price is None  # the entry is where the ratchet starts
    await rig.tick(D("101000"))  # a new high: the level is 101000 x 0.99 = 99990
    await wait_for(lambda: rig.rows()[0].best_price == D("101000"))
    await rig.tick(D("100000"))  # above the level: no close
    await rig.tick(D("100500"))  # not a new high: nothing written
    await rig.tick(D("101200"))  # handled after the two before it (one consumer): level 100188
    await wait_for(lambda: rig.rows()[0].best_price == D("101200"))
    assert rig.sells() == []
    rig.deals.reads.clear()
    rig.exchange.bid, rig.exchange.ask = D("100180"), D("100190")
    await rig.tick(D("100188"))
    await wait_for(lambda: watched(rig.trader) == [])
    assert rig.deals.reads == []
    assert rig.sells() == [deal_client_order_id(deal.signal_id, "x")]
    buy, sell = rig.rows()
    assert (buy.status, buy.trailing_stop_hit, buy.stop_loss_hit, buy.best_price, sell.price) == (
        DealStatus.CLOSED, True, False, D("101200"), D("100180"),
    )  # fmt: skip
    await rig.trader.stop()
