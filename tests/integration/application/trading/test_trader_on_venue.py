"""The trader on the simulated venue and a real database: protection kept by the venue, closes found in its fills,
redeliveries and concurrent consumers that never open two positions, deals that reconcile with the executions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.support.bybit_server import seeded_venue
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.venue import OrderRequest, SimVenue
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import DealStatus, Protection, deal_client_order_id
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
LINEAR = Category.LINEAR


@dataclass
class Rig:
    clock: SimClock
    venue: SimVenue
    database: Database
    bus: InMemoryBus

    def trader(self) -> TraderService:
        gateway = SimGateway(self.venue, "trader-1", "sim")
        return TraderService(SqlDealRepository(self.database), {"sim": gateway}, self.bus, self.clock)

    def trade_at(self, price: str, side: Side = Side.SELL) -> None:
        """Another account trades 0.01 BTC at ``price`` on an otherwise empty book, with depth left there."""
        self.venue.cancel_all("maker", LINEAR, "BTCUSDT")
        resting = side.opposite
        self.venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", resting, OrderType.LIMIT, D("1"), D(price)))
        self.venue.place_order("trader-3", OrderRequest(LINEAR, "BTCUSDT", side, OrderType.MARKET, D("0.01")))


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    yield Rig(clock, seeded_venue(clock), database, bus)
    await bus.close()


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
    position = rig.venue.position_view("trader-1", "BTCUSDT")
    assert (position.size, position.stop_loss, position.take_profit) == (deal.qty, deal.stop_loss, deal.take_profit)

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
    exits = [e for e in account.executions if e.order_link_id == "" and e.side is Side.SELL]
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
