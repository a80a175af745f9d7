"""The trader's own trailing stop on the simulated venue and a real database: the best price ratchets up on the
trades of the market, a retreat by the set percentage closes the deal at market (its exchange pair cancelled first),
the ratchet survives a restart; and a trade desk's trade on the same symbol is no difference at the restart."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.signals import signal
from tests.support.venue_rig import VenueRig as Rig
from tests.support.venue_rig import venue_rig
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.messages.market import TRADE
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.trading.trades import TradeDesk
from tradewind.application.venue import VenueOrderStatus
from tradewind.domain.commands import AmountUnit, OpenTrade
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.trading.deals import Deal, DealStatus, Protection, deal_client_order_id
from tradewind.domain.values import Category, Side

D = Decimal
LINEAR = Category.LINEAR
TRAILING = TraderSettings(trailing_stop_pct=D("1"))
TICK = D("0.1")  # BTCUSDT's tick size on the venue
_trade_ids = itertools.count(1)


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    async with venue_rig(database) as the_rig:
        yield the_rig


async def print_at(rig: Rig, price: str, side: Side = Side.SELL) -> None:
    """Another account trades at ``price`` on the venue (its bid left there for a close to sell into), and the trade
    is published on ``md.trade`` as the market-data side does."""
    rig.venue.cancel_all("trader-2", LINEAR, "BTCUSDT")  # the earlier prints' depth: each print stands alone
    rig.trade_at(price, side)
    ref = InstrumentRef("sim", LINEAR, "BTCUSDT", "BTCUSDT")
    tick = TradeTick(ref, f"p{next(_trade_ids)}", D(price), D("0.01"), side, rig.clock.now_ns())
    await rig.bus.publish("md.trade.sim.linear.BTCUSDT", TRADE.encode(tick))


async def stored(rig: Rig, deal: Deal) -> Deal:
    found = await SqlDealRepository(rig.database).by_client_order_id("sim", deal.client_order_id)
    assert found is not None
    return found


async def best_is(rig: Rig, deal: Deal, price: str) -> None:
    """Wait until the deal's best price is stored as ``price`` (the trader writes it behind the ticks)."""
    await eventually(lambda: stored(rig, deal), lambda d: d.best_price == D(price))


async def opened(trader: TraderService, sid: str = "b1") -> Deal:
    """Long 0.016 BTCUSDT at 60010: stop-loss 58809.8 and take-profit 61810.3 on the venue, trailing 1 % here."""
    handled = await trader.handle(signal(exchange="sim", sid=sid, price="60000", amount="1000"))
    deal = handled.deal
    assert handled.outcome is Outcome.OPENED and deal is not None
    assert (deal.price, deal.qty, deal.protection) == (D("60010"), D("0.016"), Protection.EXCHANGE)
    return deal


async def test_the_ratchet_follows_the_highs_and_a_retreat_by_the_percentage_closes_at_market(rig: Rig) -> None:
    trader = rig.trader(TRAILING)
    await trader.start()
    deal = await opened(trader)
    assert "trailing stop 1 % watched by the trader" in deal.note
    assert [p.deal.id for p in trader.watched] == [deal.id]  # followed here, its SL / TP on the venue
    await print_at(rig, "60500", Side.BUY)
    await print_at(rig, "61000", Side.BUY)  # the trailing level: 61000 x 0.99 = 60390
    await best_is(rig, deal, "61000")
    await print_at(rig, "60400")  # above the level: no close
    await print_at(rig, "61100", Side.BUY)  # handled after 60400 (one consumer, in order): level 60489
    await best_is(rig, deal, "61100")
    assert (await stored(rig, deal)).status is DealStatus.OPEN
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")
    assert len(rig.stops()) == 2  # the deal's own pair, untouched so far

    await print_at(rig, "60489")  # the retreat reaches the level
    await wait_for(lambda: trader.watched == [])
    closed = await stored(rig, deal)
    assert closed.close_price is not None
    assert (closed.status, closed.trailing_stop_hit, closed.stop_loss_hit, closed.take_profit_hit) == (
        DealStatus.CLOSED, True, False, False,
    )  # fmt: skip
    assert abs(closed.close_price - D("60489")) <= TICK  # into the bid the print left at the level
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == 0
    account = rig.venue.account("trader-1")
    assert account is not None
    # The deal's exchange pair was cancelled before the close, not left to fire on nothing (or cut someone's).
    assert {account.find_order(i).status for i in (deal.tp_order_id, deal.sl_order_id)} == {  # type: ignore[union-attr]
        VenueOrderStatus.CANCELLED
    }
    (close_order,) = [e for e in account.executions if e.order_link_id == deal_client_order_id("b1", "x")]
    assert close_order.exec_qty == D("0.016") and close_order.exec_price == closed.close_price
    assert trader.differences == []
    await trader.stop()


async def test_the_ratchet_survives_a_restart(rig: Rig) -> None:
    first = rig.trader(TRAILING)
    await first.start()
    deal = await opened(first)
    await print_at(rig, "61000", Side.BUY)
    await best_is(rig, deal, "61000")
    await first.stop()

    second = rig.trader(TRAILING)
    await second.start()  # follows the deal from its stored best price, not from the entry (level 59409.9)
    assert second.differences == [] and [p.deal.best_price for p in second.watched] == [D("61000")]
    await print_at(rig, "60390")  # 61000 x 0.99: only a ratchet kept across the restart closes here
    await wait_for(lambda: second.watched == [])
    closed = await stored(rig, deal)
    assert closed.trailing_stop_hit and closed.close_price == D("60390")
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == 0
    await second.stop()


async def test_a_desk_trade_on_the_same_symbol_is_no_difference_at_restart(rig: Rig) -> None:
    trader = rig.trader()
    await trader.start()
    deal = await opened(trader)
    desk = TradeDesk(SqlTradeRepository(rig.database), {"sim": rig.gateway()}, rig.bus, rig.clock)
    trade = await desk.open(
        OpenTrade(Side.BUY, "BTCUSDT", D("0.01"), AmountUnit.BASE, "sim", LINEAR, stop_loss_pct=D("3")), "t1"
    )
    await trader.stop()
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == deal.qty + trade.qty  # one one-way position

    restarted = rig.trader()  # with the trade repository, as the bootstrap builds it
    await restarted.start()
    assert restarted.differences == []
    await restarted.stop()

    blind = TraderService(SqlDealRepository(rig.database), {"sim": rig.gateway()}, rig.bus, rig.clock)
    await blind.start()  # without the desk's trades the same position would be "more than the open deals"
    (difference,) = blind.differences
    assert "more than the open deals' 0.016" in difference
    await blind.stop()
