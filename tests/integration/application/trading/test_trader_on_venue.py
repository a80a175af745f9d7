"""The trader on the simulated venue and a real database: protection kept by the venue, closes found in its fills,
redeliveries and concurrent consumers that never open two positions, deals that reconcile with the executions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.signals import signal
from tests.support.venue_rig import VenueRig as Rig
from tests.support.venue_rig import venue_rig
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.venue import VenueOrderStatus
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.trading.deals import Deal, DealStatus, Protection, deal_client_order_id
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import StopKind

D = Decimal
LINEAR = Category.LINEAR


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    async with venue_rig(database) as the_rig:
        yield the_rig


def buy(sid: str = "b1") -> object:
    return signal(exchange="sim", sid=sid, price="60000", amount="1000")


async def test_the_venue_keeps_the_stop_loss_while_the_trader_is_down_and_the_restart_records_the_hit(
    rig: Rig,
) -> None:
    first = rig.trader()
    await first.start()
    opened = await first.handle(buy())  # type: ignore[arg-type]
    await first.stop()
    deal = opened.deal
    assert opened.outcome is Outcome.OPENED and deal is not None and deal.protection is Protection.EXCHANGE
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == deal.qty
    assert rig.stops() == {
        deal.tp_order_id: (StopKind.PARTIAL_TAKE_PROFIT, deal.qty, deal.take_profit),
        deal.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, deal.qty, deal.stop_loss),
    }

    await rig.clock.advance(120)
    rig.trade_at("58000")  # below the stop-loss: the venue closes the position at market, into the bid at 58000
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == 0

    second = rig.trader()
    await second.start()  # reconciles the open deal with the venue's fills
    repo = SqlDealRepository(rig.database)
    closed = await repo.by_client_order_id("sim", deal.client_order_id)
    assert closed is not None
    assert (closed.status, closed.stop_loss_hit, closed.take_profit_hit, closed.manually_closed) == (
        DealStatus.CLOSED, True, False, False,
    )  # fmt: skip
    # The deals table reconciles with the venue's executions: quantities, prices and fees.
    account = rig.venue.account("trader-1")
    assert account is not None
    entry = [e for e in account.executions if e.order_link_id == deal.client_order_id]
    exits = [e for e in account.executions if e.order_id == deal.sl_order_id]
    assert sum(e.exec_qty for e in entry) == closed.qty == sum(e.exec_qty for e in exits)
    assert sum(e.fee for e in entry) == closed.fee and sum(e.fee for e in exits) == closed.close_fee
    assert closed.close_price == D("58000") and second.differences == []
    await second.stop()


async def test_a_sell_closes_at_market_reduce_only_and_the_buy_is_marked_manually_closed(rig: Rig) -> None:
    trader = rig.trader()
    await trader.handle(buy())  # type: ignore[arg-type]
    closed = await trader.handle(signal(Action.SELL, exchange="sim", sid="s1", price="60000"))
    assert closed.outcome is Outcome.CLOSED and closed.deal is not None and closed.deal.manually_closed
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == 0
    deals = await trader.deals()
    assert [(d.action, d.status) for d in deals] == [(Action.SELL, DealStatus.FILLED), (Action.BUY, DealStatus.CLOSED)]


async def test_a_buy_redelivered_after_a_crash_between_order_and_deal_finds_its_order_and_sends_no_other(
    rig: Rig,
) -> None:
    trader = rig.trader()
    # What a consumer killed mid-transaction leaves: the pending deal, and its order already on the venue.
    cid = deal_client_order_id("b1", "b")
    gateway = SimGateway(rig.venue, "trader-1", "sim")
    from tradewind.domain.orders import OrderIntent
    from tradewind.domain.trading.deals import Deal

    repo = SqlDealRepository(rig.database)
    await repo.insert(Deal(
        None, rig.clock.now_ns(), "sim", LINEAR, "BTCUSDT", "trend-btc", "b1", Action.BUY, cid, DealStatus.PENDING,
        D("1000"), qty=D("0.016"),
    ))  # fmt: skip
    await gateway.place_order(OrderIntent(cid, "sim", LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.016")))

    handled = await trader.handle(buy())  # type: ignore[arg-type]
    assert handled.outcome is Outcome.OPENED
    account = rig.venue.account("trader-1")
    assert account is not None
    assert len([o for o in account.orders_newest_first(open_only=False) if o.order_link_id == cid]) == 1
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")


async def test_two_consumers_given_the_same_buy_at_once_open_one_position(rig: Rig) -> None:
    one, two = rig.trader(), rig.trader()  # separate services (their locks do not help): the database decides
    results = await asyncio.gather(one.handle(buy()), two.handle(buy()))  # type: ignore[arg-type]
    # The second finds the first's deal: repeated, or (still pending) it finishes it by the same client id.
    assert Outcome.OPENED in {r.outcome for r in results} <= {Outcome.OPENED, Outcome.REPEATED}
    account = rig.venue.account("trader-1")
    assert account is not None
    cid = deal_client_order_id("b1", "b")
    assert len([o for o in account.orders_newest_first(open_only=False) if o.order_link_id == cid]) == 1
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")
    assert len([d for d in await one.deals() if d.is_open]) == 1


async def test_two_consumers_given_different_buys_of_one_source_at_once_open_one_position(rig: Rig) -> None:
    one, two = rig.trader(), rig.trader()
    results = await asyncio.gather(one.handle(buy("x")), two.handle(buy("y")))  # type: ignore[arg-type]
    assert sorted(r.outcome for r in results) == sorted([Outcome.OPENED, Outcome.REFUSED])
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")


def long_of(source: str, stop_loss_pct: str, sid: str) -> Signal:
    return signal(exchange="sim", sid=sid, source=source, price="60000", amount="1000", stop_loss_pct=stop_loss_pct)


async def _two_longs(trader: TraderService) -> tuple[Deal, Deal]:
    """Sources A (stop-loss 1 %: 59409.9) and B (3 %: 58209.7), each long 0.016 BTCUSDT at 60010, one account."""
    a = (await trader.handle(long_of("trend-a", "1", "a1"))).deal
    b = (await trader.handle(long_of("trend-b", "3", "b1"))).deal
    assert a is not None and b is not None
    assert (a.stop_loss, b.stop_loss, a.qty, b.qty) == (D("59409.9"), D("58209.7"), D("0.016"), D("0.016"))
    assert a.protection is b.protection is Protection.EXCHANGE
    return a, b


async def _closed_by_its_own_stop_only(rig: Rig, trader: TraderService, a: Deal, b: Deal) -> None:
    repo = SqlDealRepository(rig.database)
    a_now, b_now = (
        await repo.by_client_order_id("sim", a.client_order_id),
        await repo.by_client_order_id("sim", b.client_order_id),
    )
    assert a_now is not None and b_now is not None
    assert (a_now.status, a_now.stop_loss_hit, a_now.qty, a_now.close_price) == (
        DealStatus.CLOSED, True, D("0.016"), D("59000"),
    )  # fmt: skip
    account = rig.venue.account("trader-1")
    assert account is not None
    (stop_fill,) = [e for e in account.executions if e.order_id == a.sl_order_id]
    assert a_now.close_fee == stop_fill.fee and a_now.note == ""  # A's own fill, all of A's quantity
    assert b_now.status is DealStatus.OPEN  # B keeps its position and its own protection, untouched
    assert rig.stops() == {
        b.tp_order_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.016"), b.take_profit),
        b.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, D("0.016"), D("58209.7")),
    }
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")
    assert trader.differences == []


async def test_two_sources_long_one_symbol_the_price_falls_through_a_stop_only_a_is_closed(rig: Rig) -> None:
    trader = rig.trader()
    await trader.start()
    a, b = await _two_longs(trader)
    assert len(rig.stops()) == 4  # two pairs, not one set for the symbol
    await rig.clock.advance(60)
    rig.trade_at("59000")  # through A's stop-loss, above B's
    await trader.sync_protected()
    await _closed_by_its_own_stop_only(rig, trader, a, b)
    await trader.stop()


async def test_two_sources_the_stop_fires_while_the_trader_is_down_and_the_restart_marks_a_only(rig: Rig) -> None:
    first = rig.trader()
    await first.start()
    a, b = await _two_longs(first)
    await first.stop()
    await rig.clock.advance(60)
    rig.trade_at("59000")
    second = rig.trader()
    await second.start()  # the reconciliation attributes the close by A's order ids, not by the position's size
    await _closed_by_its_own_stop_only(rig, second, a, b)
    await second.stop()


async def test_a_sell_cancels_its_own_stops_before_closing_so_the_other_sources_stay_whole(rig: Rig) -> None:
    trader = rig.trader()
    b = (await trader.handle(long_of("trend-b", "3", "b1"))).deal  # B first: its pair is the oldest on the venue
    a = (await trader.handle(long_of("trend-a", "1", "a1"))).deal
    assert a is not None and b is not None
    closed = await trader.handle(signal(Action.SELL, exchange="sim", sid="a2", source="trend-a", price="60000"))
    assert closed.outcome is Outcome.CLOSED and closed.deal is not None and closed.deal.manually_closed
    # Had A's pair stayed while A's close shrank the position, the venue would have cut the oldest pair: B's.
    assert rig.stops() == {
        b.tp_order_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.016"), b.take_profit),
        b.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, D("0.016"), D("58209.7")),
    }
    account = rig.venue.account("trader-1")
    assert account is not None
    assert {account.find_order(i).status for i in (a.tp_order_id, a.sl_order_id)} == {VenueOrderStatus.CANCELLED}  # type: ignore[union-attr]
    assert rig.venue.position_view("trader-1", "BTCUSDT").size == D("0.016")
