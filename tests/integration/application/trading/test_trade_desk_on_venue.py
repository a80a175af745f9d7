"""Trade objects on the simulated venue's linear market and a real database: each trade protected by a partial TP / SL
pair of its own, closed by that pair's fills only (at run time and after a restart), its pair cancelled before its own
close, and beside a position manager's deal on the same symbol each closes only its own quantity; a pair that fills
less than its trade (cut by a close by hand, or short of depth) closes that part only, at exactly its fills. A trade
protected the whole-position way (before the pairs), long or short, counts as closed by the exchange only once no
position is held on its side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from tests.support.bus import collector
from tests.support.bybit_server import seeded_venue
from tests.support.signals import signal
from tests.support.venue_rig import VenueRig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.adapters.store.sqlalchemy.trade_repository import SqlTradeRepository
from tradewind.application.messages.trade_events import TRADE_EVENT
from tradewind.application.ports.bus import Message
from tradewind.application.trading.service import Outcome
from tradewind.application.trading.trade_settings import TradesSettings
from tradewind.application.trading.trades import TradeDesk
from tradewind.application.venue import OrderRequest, VenueOrderStatus
from tradewind.domain.commands import AmountUnit, CloseTrade, OpenTrade
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import DealStatus
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts import StopKind
from tradewind.interfaces.render.trading import trade_event_text

D = Decimal
LINEAR = Category.LINEAR
MARKET = ("sim", LINEAR, "BTCUSDT")


@dataclass
class Rig(VenueRig):
    events: list[Message] = field(default_factory=list)  # trade.event.# as published

    def desk(self) -> TradeDesk:
        """A desk that, as the bootstrap's, counts the position manager's deals of the account."""
        return TradeDesk(
            SqlTradeRepository(self.database), {"sim": self.gateway()}, self.bus, self.clock,
            deals=SqlDealRepository(self.database),
        )  # fmt: skip

    def position(self) -> Decimal:
        return self.venue.position_view("trader-1", "BTCUSDT").size

    def fills_of(self, order_id: str) -> list[tuple[Decimal, Decimal, Decimal]]:
        """The account's executions of one order (its exchange id, or its client id): qty, price, fee."""
        account = self.venue.account("trader-1")
        assert account is not None
        ours = [e for e in account.executions if order_id in (e.order_id, e.order_link_id)]
        return [(e.exec_qty, e.exec_price, e.fee) for e in ours]

    def cash_flow(self, trade: Trade, *order_ids: str) -> tuple[Decimal, Decimal]:
        """What the fills of ``order_ids`` closed of a long ``trade`` came to, fees apart, and their fees."""
        fills = [f for order_id in order_ids for f in self.fills_of(order_id)]
        assert trade.entry_price is not None
        return sum((q * (p - trade.entry_price) for q, p, _ in fills), D(0)), sum((f for *_, f in fills), D(0))

    async def closed_events(self) -> list[Message]:
        """The closes and parts published so far, once the bus's consumers had their turn."""
        for _ in range(3):  # the in-memory bus hands a message to its consumer's task: let it run
            await asyncio.sleep(0)
        return [m for m in self.events if m.topic in ("trade.event.closed", "trade.event.partly_closed")]


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    events, on_event = collector()
    await bus.subscribe("trade.event.#", on_event)
    yield Rig(clock, seeded_venue(clock), database, bus, events)
    await bus.close()


async def long_trade(desk: TradeDesk, key: str, qty: str = "0.016", *, sl: str, tsl: str | None = None) -> Trade:
    trailing = None if tsl is None else D(tsl)
    command = OpenTrade(
        Side.BUY, "BTCUSDT", D(qty), AmountUnit.BASE, "sim", LINEAR, trailing_stop_pct=trailing, stop_loss_pct=D(sl)
    )
    return await desk.open(command, key)


def pair_of(trade: Trade) -> dict[str, tuple[StopKind | None, Decimal, Decimal | None]]:
    """The venue's view of a trade's own stop-loss-only pair."""
    return {trade.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, trade.qty, _stop_level(trade))}


def _stop_level(trade: Trade) -> Decimal:
    assert trade.entry_price is not None
    return (trade.entry_price * (1 - trade.risk["stop_loss"] / 100)).quantize(D("0.1"))


async def two_longs(desk: TradeDesk) -> tuple[Trade, Trade]:
    """A (stop-loss 1 %: 59409.9) and B (3 %: 58209.7), each long 0.016 BTCUSDT at 60010 on one account."""
    a = await long_trade(desk, "a", sl="1")
    b = await long_trade(desk, "b", sl="3")
    assert (_stop_level(a), _stop_level(b), a.entry_price, b.entry_price) == (
        D("59409.9"), D("58209.7"), D(60010), D(60010),
    )  # fmt: skip
    assert a.protected_on_exchange and b.protected_on_exchange and a.tp_order_id == b.tp_order_id == ""
    assert "" != a.sl_order_id != b.sl_order_id
    return a, b


async def assert_only_a_closed_by_its_stop(rig: Rig, a: Trade, b: Trade) -> None:
    repo = SqlTradeRepository(rig.database)
    a_now, b_now = await repo.by_key("a"), await repo.by_key("b")
    assert a_now is not None and b_now is not None
    ((stop_qty, stop_price, stop_fee),) = rig.fills_of(a.sl_order_id)
    assert (a_now.status, a_now.close_reason, a_now.closed_by_exchange, a_now.qty, a_now.close_price) == (
        TradeStatus.CLOSED, "stop_loss", True, stop_qty, stop_price,
    )  # fmt: skip
    assert (stop_qty, stop_price, a_now.close_fee, a_now.note) == (D("0.016"), D(59000), stop_fee, "")
    assert b_now.status is TradeStatus.OPEN and (b_now.sl_order_id, b_now.tp_order_id) == (b.sl_order_id, "")
    assert rig.stops() == pair_of(b)  # B keeps its own pair, untouched
    assert rig.position() == D("0.016")
    # The announced close has the stop's fill price and fee, not the trigger level.
    closed = [TRADE_EVENT.decode(m.payload) for m in rig.events if m.topic == "trade.event.closed"]
    assert [(e.id, e.exit_price, e.fees, e.reason, e.by_exchange, e.pnl) for e in closed] == [
        (a.id, D(59000), a.fee + stop_fee, "stop_loss", True, a_now.pnl()),
    ]


@pytest.mark.parametrize("seen_by", ["tick", "sync"])
async def test_two_trades_long_one_symbol_the_price_falls_through_a_stop_only_a_is_closed_by_the_exchange(
    rig: Rig, seen_by: str
) -> None:
    desk = rig.desk()
    a, b = await two_longs(desk)
    assert rig.stops() == {**pair_of(a), **pair_of(b)}  # two pairs of the trades' own size, not one for the symbol
    await rig.clock.advance(60)
    rig.trade_at("59000")  # through A's stop-loss, above B's: the venue fires A's pair only
    assert rig.position() == D("0.016")
    if seen_by == "tick":
        assert [t.key for t in await desk.on_price(MARKET, D(59000))] == ["a"]
    else:  # no tick crossed A's level here: the look at the pairs' fills finds it
        assert [t.key for t in await desk.sync_protected()] == ["a"]
        assert await desk.on_price(MARKET, D(59000)) == []
    await assert_only_a_closed_by_its_stop(rig, a, b)
    assert [t.key for t in await desk.trades()] == ["b"]


async def test_the_stop_fires_while_the_desk_is_down_and_the_restart_marks_only_that_trade(rig: Rig) -> None:
    first = rig.desk()
    a, b = await two_longs(first)
    await first.stop()
    await rig.clock.advance(60)
    rig.trade_at("59000")
    second = rig.desk()
    await second.reconcile()  # A's pair's fills name A; the position's size names no one
    await assert_only_a_closed_by_its_stop(rig, a, b)
    assert await second.on_price(MARKET, D(58300)) == []  # B still followed, above its level
    (b_live,) = await second.trades()
    assert b_live.key == "b" and b_live.status is TradeStatus.OPEN


async def test_a_trailing_stop_close_cancels_the_trades_own_pair_first_and_leaves_the_others_whole(rig: Rig) -> None:
    desk = rig.desk()
    b = await long_trade(desk, "b", sl="3")  # B first: its pair is the oldest on the venue
    a = await long_trade(desk, "a", tsl="1", sl="3")
    assert "trailing stop watched here" in a.note and rig.stops() == {**pair_of(a), **pair_of(b)}
    rig.trade_at("61000", Side.BUY)
    assert await desk.on_price(MARKET, D(61000)) == []  # A's trailing level: 61000 x 0.99 = 60390
    rig.trade_at("60300")
    (closed,) = await desk.on_price(MARKET, D(60300))
    assert (closed.key, closed.close_reason, closed.closed_by_exchange, closed.close_price) == (
        "a", "trailing_stop", False, D(60300),
    )  # fmt: skip
    # Had A's pair stayed while A's close shrank the position, the venue would have cut the oldest pair: B's.
    account = rig.venue.account("trader-1")
    assert account is not None
    assert account.find_order(a.sl_order_id).status is VenueOrderStatus.CANCELLED  # type: ignore[union-attr]
    assert rig.stops() == pair_of(b) and rig.position() == D("0.016")
    assert [t.key for t in await desk.trades()] == ["b"]


async def test_a_desk_trade_beside_a_position_manager_deal_each_closes_only_its_own_quantity(rig: Rig) -> None:
    desk, trader = rig.desk(), rig.trader()
    handled = await trader.handle(
        signal(exchange="sim", sid="d1", source="trend", price="60000", amount="1000", stop_loss_pct="3")
    )
    deal = handled.deal
    assert handled.outcome is Outcome.OPENED and deal is not None and deal.qty == D("0.016")
    a = await long_trade(desk, "a", "0.01", sl="1")
    assert rig.position() == D("0.026")
    assert set(rig.stops()) == {deal.tp_order_id, deal.sl_order_id, a.sl_order_id}  # each its own
    await rig.clock.advance(60)
    rig.trade_at("59000")  # through the trade's stop-loss (59409.9), above the deal's (58209.7)
    (closed,) = await desk.on_price(MARKET, D(59000))
    assert (closed.key, closed.qty, closed.close_price, closed.closed_by_exchange) == ("a", D("0.01"), D(59000), True)
    assert rig.position() == D("0.016")
    await trader.sync_protected()
    repo = SqlDealRepository(rig.database)
    deal_now = await repo.by_client_order_id("sim", deal.client_order_id)
    assert deal_now is not None and deal_now.status is DealStatus.OPEN and trader.differences == []
    assert set(rig.stops()) == {deal.tp_order_id, deal.sl_order_id}

    # `close btc` of a second trade: its pair goes first, its own 0.01 is sold; the deal's pair stays whole.
    rig.venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.LIMIT, D(1), D(59010)))
    c = await long_trade(desk, "c", "0.01", sl="2")
    (manual,) = await desk.close_market(CloseTrade("BTCUSDT", "sim", LINEAR))
    assert (manual.key, manual.close_reason, manual.closed_by_exchange) == ("c", "manual", False)
    assert rig.position() == D("0.016") and set(rig.stops()) == {deal.tp_order_id, deal.sl_order_id}
    assert c.sl_order_id not in rig.stops()

    sold = await trader.handle(signal(Action.SELL, exchange="sim", sid="d2", source="trend", price="60000"))
    assert sold.outcome is Outcome.CLOSED and rig.position() == 0 and rig.stops() == {}


async def test_a_close_by_hand_cuts_the_oldest_pair_and_its_trade_closes_only_what_its_pair_filled(rig: Rig) -> None:
    desk = rig.desk()
    a, b = await two_longs(desk)  # A's pair is the oldest on the venue
    # Someone sells 0.006 of the account's 0.032 by hand (the exchange's website): the venue cuts the oldest pair.
    sold = OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.006"), reduce_only=True)
    rig.venue.place_order("trader-1", sold)
    assert rig.stops() == {
        a.sl_order_id: (StopKind.PARTIAL_STOP_LOSS, D("0.010"), _stop_level(a)), **pair_of(b),
    }  # fmt: skip
    await rig.clock.advance(60)
    rig.trade_at("59000")  # through A's stop-loss: its pair closes the 0.010 it still had
    (closed,) = await desk.sync_protected()
    flow, fees = rig.cash_flow(a, a.sl_order_id)
    assert (flow, fees > 0) == (D("-10.100"), True)  # (59000 - 60010) x 0.010
    assert (closed.key, closed.status, closed.close_reason, closed.closed_by_exchange) == (
        "a", TradeStatus.CLOSED, "stop_loss", True,
    )  # fmt: skip
    assert (closed.qty, closed.closed_qty, closed.missing_qty, closed.open_qty, closed.close_price) == (
        D("0.016"), D("0.010"), D("0.006"), 0, D(59000),
    )  # fmt: skip
    # PnL on what its own fills closed, every fee of the trade in; none made up for the 0.006 sold by hand.
    assert closed.pnl() == flow - a.fee - fees == D("-10.100") - a.fee - fees
    assert "closed 0.010 of 0.016" in closed.note and "0.006 no longer held" in closed.note
    stored = await SqlTradeRepository(rig.database).by_key("a")
    assert stored == closed
    (event,) = [TRADE_EVENT.decode(m.payload) for m in await rig.closed_events()]
    assert (event.kind.value, event.qty, event.closed_qty, event.missing_qty, event.pnl, event.fees) == (
        "closed", D("0.016"), D("0.010"), D("0.006"), closed.pnl(), a.fee + fees,
    )  # fmt: skip
    text = trade_event_text(event)
    assert "Buy 0.010 of 0.016 BTCUSDT" in text and "0.006 closed elsewhere (no PnL counted for it)" in text
    # B is whole: its pair, its quantity, the position.
    assert rig.stops() == pair_of(b) and rig.position() == D("0.016")
    (b_now,) = await desk.trades()
    assert (b_now.key, b_now.open_qty, b_now.sl_order_id) == ("b", D("0.016"), b.sl_order_id)


async def test_a_stop_short_of_depth_closes_a_part_the_rest_stays_the_trades_until_its_own_exit(rig: Rig) -> None:
    desk = rig.desk()
    a = await long_trade(desk, "a", sl="1")
    await rig.clock.advance(60)
    # A print at 59000 that leaves only 0.010 bid anywhere: the stop's market order closes 0.010, the rest is cancelled.
    rig.venue.cancel_all("maker", LINEAR, "BTCUSDT")
    rig.venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.02"), D(59000)))
    rig.venue.place_order("trader-3", OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.01")))
    assert rig.position() == D("0.006")
    (part,) = await desk.sync_protected()
    flow, fees = rig.cash_flow(a, a.sl_order_id)
    assert flow == D("-10.100")
    assert (part.status, part.closed_qty, part.missing_qty, part.open_qty, part.close_price) == (
        TradeStatus.OPEN, D("0.010"), 0, D("0.006"), D(59000),
    )  # fmt: skip
    assert part.pnl() == flow - a.fee - fees
    # Its pair again for the rest: the venue refuses a stop above the last price, so the desk watches it.
    assert (part.protected_on_exchange, part.sl_order_id, rig.stops()) == (False, "", {})
    assert "0.006 still open" in part.note and "watched here only" in part.note
    (event,) = [TRADE_EVENT.decode(m.payload) for m in await rig.closed_events()]
    assert (event.kind.value, event.closed_qty, event.open_qty, event.pnl) == (
        "partly_closed", D("0.010"), D("0.006"), part.pnl(),
    )  # fmt: skip
    assert trade_event_text(event).startswith(f"Trade {a.id} partly closed (stop loss on the exchange)")
    assert trade_event_text(event).endswith("0.006 still open")

    rig.trade_at("58900")  # depth again: the desk's own stop-loss sells the 0.006 it still holds
    (closed,) = await desk.on_price(MARKET, D(58900))
    assert part.exit_order_id != a.exit_order_id  # the exit of the rest
    flow, fees = rig.cash_flow(a, a.sl_order_id, part.exit_order_id)
    assert flow == D("-10.100") + D("-6.660")  # (58900 - 60010) x 0.006
    assert (closed.status, closed.closed_qty, closed.missing_qty, closed.close_reason) == (
        TradeStatus.CLOSED, D("0.016"), 0, "stop_loss",
    )  # fmt: skip
    assert closed.pnl() == flow - a.fee - fees and rig.position() == 0
    assert await SqlTradeRepository(rig.database).by_key("a") == closed
    assert [TRADE_EVENT.decode(m.payload).kind.value for m in await rig.closed_events()] == ["partly_closed", "closed"]


async def test_a_pair_cut_beside_a_deal_leaves_the_deals_share_to_the_deal_not_to_the_trade(rig: Rig) -> None:
    desk, trader = rig.desk(), rig.trader()
    a = await long_trade(desk, "a", sl="1")  # A's pair first: the oldest, the one the venue cuts
    handled = await trader.handle(
        signal(exchange="sim", sid="d1", source="trend", price="60000", amount="1000", stop_loss_pct="3")
    )
    assert handled.deal is not None and handled.deal.qty == D("0.016") and rig.position() == D("0.032")
    sold = OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.006"), reduce_only=True)
    rig.venue.place_order("trader-1", sold)  # by hand: A's pair cut to 0.010
    await rig.clock.advance(60)
    rig.trade_at("59000")  # through A's stop, above the deal's
    (closed,) = await desk.sync_protected()
    # The account still holds 0.016: the deal's, not A's rest (a desk blind to the deals would keep 0.006 open).
    assert rig.position() == D("0.016")
    assert (closed.status, closed.closed_qty, closed.missing_qty) == (TradeStatus.CLOSED, D("0.010"), D("0.006"))
    flow, fees = rig.cash_flow(a, a.sl_order_id)
    assert closed.pnl() == flow - a.fee - fees
    await trader.sync_protected()
    deal_now = await SqlDealRepository(rig.database).by_client_order_id("sim", handled.deal.client_order_id)
    assert deal_now is not None and deal_now.status is DealStatus.OPEN


async def test_a_deals_stop_firing_first_is_not_counted_as_its_share_when_the_trades_stop_fills_short(rig: Rig) -> None:
    desk, trader = rig.desk(), rig.trader()
    handled = await trader.handle(
        signal(exchange="sim", sid="d1", source="trend", price="60000", amount="1000", stop_loss_pct="1")
    )
    deal = handled.deal
    assert deal is not None and deal.qty == D("0.016")
    a = await long_trade(desk, "a", sl="1")
    await rig.clock.advance(60)
    # One print at 59000 and 0.026 bid left: the deal's older stop takes 0.016, A's meets the last 0.010.
    rig.venue.cancel_all("maker", LINEAR, "BTCUSDT")
    rig.venue.place_order("trader-2", OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.036"), D(59000)))
    rig.venue.place_order("trader-3", OrderRequest(LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.01")))
    assert [q for q, *_ in rig.fills_of(deal.sl_order_id)] == [D("0.016")] and rig.position() == D("0.006")
    # The trader has not seen its deal's close yet: its fills, not its row, say the deal holds nothing now.
    (part,) = await desk.sync_protected()
    assert (part.status, part.closed_qty, part.open_qty, part.missing_qty) == (
        TradeStatus.OPEN, D("0.010"), D("0.006"), 0,
    )  # fmt: skip
    flow, fees = rig.cash_flow(a, a.sl_order_id)
    assert part.pnl() == flow - a.fee - fees


async def whole_position_trade(rig: Rig, side: Side) -> Trade:
    """A trade of before the pairs (migration 0018): protected the whole-position way, with no order ids of its own;
    the desk that meets it is a restarted one."""
    watching = TradeDesk(
        SqlTradeRepository(rig.database), {"sim": rig.gateway()}, rig.bus, rig.clock, TradesSettings(protection="watch")
    )
    opened = await watching.open(OpenTrade(side, "BTCUSDT", D("0.016"), AmountUnit.BASE, "sim", LINEAR), "old")
    assert opened.protection_orders.ids == () and rig.position() == D("0.016")
    assert rig.venue.position_view("trader-1", "BTCUSDT").side is side
    old = replace(opened, protected_on_exchange=True)
    await SqlTradeRepository(rig.database).save(old)
    return old


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
async def test_a_whole_position_trade_still_held_on_its_side_is_closed_by_its_own_exit(rig: Rig, side: Side) -> None:
    old = await whole_position_trade(rig, side)
    desk = rig.desk()
    await desk.reconcile()
    (closed,) = await desk.close_market(CloseTrade("BTCUSDT", "sim", LINEAR))
    # A short position (negative) is not flat: the exit is sent and the position closed by it, never assumed closed.
    assert (closed.key, closed.close_reason, closed.closed_by_exchange, closed.closed_qty) == (
        "old", "manual", False, D("0.016"),
    )  # fmt: skip
    assert rig.position() == 0 and [q for q, *_ in rig.fills_of(old.exit_order_id)] == [D("0.016")]


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
async def test_a_whole_position_trade_whose_side_is_gone_counts_as_closed_by_the_exchange(rig: Rig, side: Side) -> None:
    old = await whole_position_trade(rig, side)
    # The exchange's own stop (here: an order by hand) closes the position while the desk is down.
    gone = OrderRequest(LINEAR, "BTCUSDT", side.opposite, OrderType.MARKET, D("0.016"), reduce_only=True)
    rig.venue.place_order("trader-1", gone)
    assert rig.position() == 0
    desk = rig.desk()
    await desk.reconcile()
    (closed,) = await desk.close_market(CloseTrade("BTCUSDT", "sim", LINEAR))
    assert (closed.key, closed.close_reason, closed.closed_by_exchange) == ("old", "closed_by_exchange", True)
    assert rig.position() == 0 and rig.fills_of(old.exit_order_id) == []  # no exit sent: nothing opened the other way
