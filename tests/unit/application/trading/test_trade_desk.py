"""Trade objects over the fake exchange and trade store on the simulated clock: every risk rule, commands over the
bus, restarts, and a trade closing exactly once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.exchange import FakeExchange
from tests.fakes.trades import FakeTrades
from tests.support.bus import RecordingBus
from tests.support.logs import captured_logs
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.trade_events import TRADE_EVENT
from tradewind.application.trading.risk_registry import RiskRegistry
from tradewind.application.trading.trade_client import TradeClient
from tradewind.application.trading.trade_settings import TradesSettings
from tradewind.application.trading.trades import TradeDesk, TradeError
from tradewind.domain.command_events import TradeCommandEvent
from tradewind.domain.commands import AmountUnit, CloseAll, CloseTrade, OpenTrade
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.orders import PositionProtection
from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

D = Decimal
MARKET = ("fake", Category.SPOT, "BTCUSDT")


class Rig:
    def __init__(
        self,
        trades: FakeTrades | None = None,
        exchange: FakeExchange | None = None,
        bus: InMemoryBus | None = None,
        **kw: object,
    ) -> None:
        self.exchange = exchange or FakeExchange("fake", bid=D("99990"), ask=D("100010"))
        self.trades = trades or FakeTrades()
        self.clock = SimClock()
        self.bus = bus or InMemoryBus()
        self.desk = TradeDesk(
            self.trades, {"fake": self.exchange}, self.bus, self.clock, TradesSettings.model_validate(kw)
        )

    async def open(self, key: str = "k1", side: Side = Side.BUY, **risk: str) -> object:
        command = OpenTrade(side, "BTCUSDT", D("100"), AmountUnit.QUOTE, "fake", **{k: D(v) for k, v in risk.items()})  # type: ignore[arg-type]
        return await self.desk.open(command, key)

    def exits(self) -> list[str]:
        return [i.client_order_id for i in self.exchange.placed if i.client_order_id.startswith("trx")]


async def test_buy_opens_a_trade_at_the_fill_with_its_risk_strategies() -> None:
    rig = Rig()
    trade = await rig.open(trailing_stop_pct="2.8")
    (stored,) = await rig.trades.live()
    assert stored == trade
    assert (stored.status, stored.qty, stored.entry_price, stored.best_price) == (
        TradeStatus.OPEN, D("0.000999"), D("100010"), D("100010"),
    )  # fmt: skip
    assert stored.risk == {"trailing_stop": D("2.8")}
    assert [i.client_order_id for i in rig.exchange.placed] == [stored.entry_order_id]


async def test_the_trailing_stop_closes_once_the_price_retreats_from_its_best() -> None:
    rig = Rig()
    await rig.open(trailing_stop_pct="2.8")
    assert await rig.desk.on_price(MARKET, D("110000")) == []
    assert await rig.desk.on_price(MARKET, D("107000")) == []  # above 110000 x 0.972 = 106920
    rig.exchange.bid = D("106900")
    (closed,) = await rig.desk.on_price(MARKET, D("106920"))
    assert (closed.status, closed.close_reason, closed.close_price) == (
        TradeStatus.CLOSED,
        "trailing_stop",
        D("106900"),
    )
    assert closed.best_price == D("110000")
    assert await rig.desk.on_price(MARKET, D("90000")) == [] and len(rig.exits()) == 1


async def test_stop_loss_closes_below_the_entry() -> None:
    rig = Rig()
    await rig.open(stop_loss_pct="2")
    assert await rig.desk.on_price(MARKET, D("98010")) == []  # 100010 x 0.98 = 98009.8
    (closed,) = await rig.desk.on_price(MARKET, D("98009.8"))
    assert closed.close_reason == "stop_loss"


async def test_take_profit_closes_above_the_entry() -> None:
    rig = Rig()
    await rig.open(take_profit_pct="5", stop_loss_pct="2")
    (closed,) = await rig.desk.on_price(MARKET, D("105010.5"))
    assert closed.close_reason == "take_profit"


async def test_a_short_trails_upwards() -> None:
    rig = Rig()
    await rig.open(side=Side.SELL, trailing_stop_pct="1")
    await rig.desk.on_price(MARKET, D("90000"))
    assert await rig.desk.on_price(MARKET, D("90899")) == []
    (closed,) = await rig.desk.on_price(MARKET, D("90900"))
    assert closed.close_reason == "trailing_stop" and rig.exchange.placed[-1].side is Side.BUY


async def test_the_same_key_never_opens_twice() -> None:
    rig = Rig()
    first = await rig.open("same", trailing_stop_pct="2")
    again = await rig.open("same", trailing_stop_pct="2")
    assert first == again and len(rig.exchange.placed) == 1


async def test_unknown_exchange_symbol_or_risk_strategy_is_refused_and_changes_nothing() -> None:
    rig = Rig()
    with pytest.raises(TradeError, match="no exchange 'nope'"):
        await rig.desk.open(OpenTrade(Side.BUY, "BTCUSDT", D(100), exchange="nope"), "a")
    with pytest.raises(TradeError, match="DOGEUSDT"):
        await rig.desk.open(OpenTrade(Side.BUY, "DOGEUSDT", D(100), exchange="fake"), "b")
    with pytest.raises(TradeError, match="less than one lot"):
        await rig.desk.open(OpenTrade(Side.BUY, "BTCUSDT", D("0.0001"), exchange="fake"), "c")
    assert rig.trades.rows == {} and rig.exchange.placed == []


async def test_a_refused_entry_leaves_no_trade() -> None:
    rig = Rig()
    rig.exchange.refuse = "insufficient balance"
    with pytest.raises(TradeError, match="insufficient balance"):
        await rig.open()
    assert rig.trades.rows == {}


async def test_close_and_close_all_close_at_market() -> None:
    rig = Rig()
    await rig.open("a")
    with pytest.raises(TradeError, match="no open trade of ETHUSDT"):
        await rig.desk.close_market(CloseTrade("ETHUSDT", "fake"))
    (closed,) = await rig.desk.close_market(CloseTrade("BTCUSDT", "fake"))
    assert closed.close_reason == "manual" and closed.close_price == D("99990")
    await rig.open("b")
    await rig.open("c")
    assert len(await rig.desk.close_all(None)) == 2 and await rig.trades.live() == []


async def test_a_refused_exit_leaves_the_trade_open_and_the_next_tick_tries_again() -> None:
    rig = Rig()
    await rig.open(stop_loss_pct="2")
    rig.exchange.refuse = "exchange busy"
    assert await rig.desk.on_price(MARKET, D("90000")) == []
    (trade,) = await rig.trades.live()
    assert trade.status is TradeStatus.OPEN
    rig.exchange.refuse = None
    assert len(await rig.desk.on_price(MARKET, D("90000"))) == 1


async def test_a_restart_resumes_the_best_price_and_finishes_a_close_by_its_client_id() -> None:
    rig = Rig()
    await rig.open(trailing_stop_pct="2")
    await rig.desk.on_price(MARKET, D("120000"))
    (trade,) = await rig.trades.live()
    # Crash between "closing" and the answer of the exit order: the exchange has the order, the store says closing.
    await rig.trades.save(trade.__class__(**{**_fields(trade), "status": TradeStatus.CLOSING}))
    rig.exchange.bid = D("117000")
    from tradewind.domain.orders import OrderIntent
    from tradewind.domain.values import OrderType

    await rig.exchange.place_order(
        OrderIntent(trade.exit_order_id, "fake", Category.SPOT, "BTCUSDT", Side.SELL, OrderType.MARKET, trade.qty)
    )
    restarted = Rig(rig.trades, rig.exchange)
    await restarted.desk.reconcile()
    assert await restarted.trades.live() == []
    assert rig.exits() == [trade.exit_order_id]  # the one sent before the crash: none after


async def test_a_restart_keeps_following_an_open_trade_from_its_stored_best() -> None:
    rig = Rig()
    await rig.open(trailing_stop_pct="2")
    await rig.desk.on_price(MARKET, D("120000"))
    restarted = Rig(rig.trades, rig.exchange)
    await restarted.desk.reconcile()
    assert await restarted.desk.on_price(MARKET, D("117601")) == []  # 120000 x 0.98 = 117600
    assert len(await restarted.desk.on_price(MARKET, D("117600"))) == 1


async def test_a_pending_trade_without_an_order_is_dropped_at_start() -> None:
    rig = Rig()
    rig.exchange.lose_answers = 0
    from tradewind.domain.trading.trades import Trade

    await rig.trades.insert(Trade(None, "lost", 0, "fake", Category.SPOT, "BTCUSDT", Side.BUY, D("0.001"),
                                  TradeStatus.PENDING, {"stop_loss": D(2)}))  # fmt: skip
    await rig.desk.reconcile()
    assert rig.trades.rows == {}


LINEAR_MARKET = ("fake", Category.LINEAR, "BTCUSDT")


async def open_linear(rig: Rig, key: str, **risk: Decimal) -> Trade:
    command = OpenTrade(Side.BUY, "BTCUSDT", D("0.01"), AmountUnit.BASE, "fake", Category.LINEAR, **risk)
    return await rig.desk.open(command, key)


async def test_a_linear_trade_gets_a_tp_sl_pair_of_its_own_size_on_the_exchange_and_keeps_its_ids() -> None:
    rig = Rig()
    trade = await open_linear(rig, "lin", trailing_stop_pct=D("2.8"), stop_loss_pct=D(2), take_profit_pct=D(5))
    assert trade.protected_on_exchange and (trade.tp_order_id, trade.sl_order_id) == ("ptp-2", "psl-2")
    # Sized (Partial mode): the trailing stop is not sent, as the exchange keeps one per symbol, not per size.
    assert rig.exchange.protections == [
        (Category.LINEAR, "BTCUSDT", PositionProtection(D("105010.5"), D("98009.8"), size=D("0.01")))
    ]
    assert "trailing stop watched here" in trade.note and await rig.trades.live() == [trade]


async def test_a_linear_trade_with_only_a_trailing_stop_sets_nothing_on_the_exchange() -> None:
    rig = Rig()
    trade = await open_linear(rig, "tsl", trailing_stop_pct=D("2.8"))
    assert not trade.protected_on_exchange and rig.exchange.protections == [] and trade.sl_order_id == ""


async def test_where_the_gateway_refuses_sized_protection_the_trade_is_watched_here_and_closes_itself() -> None:
    rig = Rig()
    rig.exchange.protection_refused = True  # as ccxt's unified API: ProtectionUnsupported
    trade = await open_linear(rig, "w", stop_loss_pct=D(2))
    assert not trade.protected_on_exchange and trade.protection_orders.ids == ()
    assert "watched here only" in trade.note
    (closed,) = await rig.desk.on_price(LINEAR_MARKET, D("98000"))
    assert (closed.close_reason, closed.closed_by_exchange, closed.close_price) == ("stop_loss", False, D("99990"))
    assert rig.exits() == [trade.exit_order_id] and rig.exchange.cancelled_stops == []


async def test_a_close_the_exchange_refuses_gives_the_trade_a_new_pair_in_place_of_the_cancelled_one() -> None:
    rig = Rig()
    trade = await open_linear(rig, "r", stop_loss_pct=D(2), take_profit_pct=D(5))
    rig.exchange.refuse = "exchange busy"
    assert await rig.desk.close_market(CloseTrade("BTCUSDT", "fake", Category.LINEAR)) == []  # nothing closed
    (reopened,) = await rig.trades.live()
    assert reopened.status is TradeStatus.OPEN and reopened.protected_on_exchange
    assert rig.exchange.cancelled_stops == [trade.protection_orders]
    assert reopened.protection_orders.ids not in ((), trade.protection_orders.ids)
    assert list(rig.exchange.stops) == [reopened.tp_order_id]  # the new pair is the one on the exchange
    rig.exchange.refuse = None
    (closed,) = await rig.desk.close_market(CloseTrade("BTCUSDT", "fake", Category.LINEAR))
    assert closed.close_reason == "manual" and rig.exchange.stops == {}
    assert rig.exchange.cancelled_stops[-1] == reopened.protection_orders  # the new pair, not the first one


async def test_a_stop_fill_of_the_trades_pair_is_its_close_with_the_fills_price_and_fee() -> None:
    rig = Rig()
    rig.exchange.fee_rate = D("0.00055")
    trade = await open_linear(rig, "f", stop_loss_pct=D(2), take_profit_pct=D(5))
    at = rig.clock.now_ns() + 7
    rig.exchange.stop_out("BTCUSDT", D("97990.5"), ts_ns=at)  # the exchange's stop, below the level's 98009.8
    (closed,) = await rig.desk.on_price(LINEAR_MARKET, D("98000"))
    fee = D("97990.5") * D("0.01") * D("0.00055")
    assert (closed.close_reason, closed.closed_by_exchange, closed.close_price, closed.close_fee, closed.closed_ns) == (
        "stop_loss", True, D("97990.5"), fee, at,
    )  # fmt: skip
    assert rig.exits() == [] and rig.exchange.cancelled_stops == []  # no order of ours, nothing left to cancel
    assert closed.pnl() == (D("97990.5") - trade.entry_price) * D("0.01") - trade.fee - fee  # type: ignore[operator]


async def test_a_stop_still_filling_in_pieces_is_recorded_once_it_ended_at_exactly_all_its_fills() -> None:
    rig = Rig()
    rig.exchange.fee_rate = D("0.00055")
    trade = await open_linear(rig, "f", stop_loss_pct=D(2), take_profit_pct=D(5))
    (_, pair, _) = rig.exchange.stops[trade.tp_order_id]
    at = rig.clock.now_ns() + 7
    # The stop fired and 0.004 filled so far; its order is still working (open on the exchange).
    rig.exchange._stop_fill("BTCUSDT", D("97990.5"), D("0.004"), at, trade.sl_order_id)
    assert await rig.desk.sync_protected() == []
    (still,) = await rig.trades.live()
    assert (still.status, still.closed_qty, still.sl_order_id) == (TradeStatus.OPEN, D(0), trade.sl_order_id)
    # The rest fills lower and the order ends: one close, over both pieces, PnL their exact cash flow minus fees.
    del rig.exchange.stops[trade.tp_order_id]
    rig.exchange.positions.pop("BTCUSDT")
    rig.exchange._stop_fill("BTCUSDT", D("97980.1"), D("0.006"), at + 1, trade.sl_order_id)
    (closed,) = await rig.desk.sync_protected()
    assert trade.entry_price is not None and pair.ids == trade.protection_orders.ids
    flow = (D("97990.5") - trade.entry_price) * D("0.004") + (D("97980.1") - trade.entry_price) * D("0.006")
    fees = (D("97990.5") * D("0.004") + D("97980.1") * D("0.006")) * D("0.00055")
    assert (closed.status, closed.closed_qty, closed.missing_qty, closed.close_fee) == (
        TradeStatus.CLOSED, D("0.01"), D(0), fees,
    )  # fmt: skip
    assert closed.pnl() == flow - trade.fee - fees and closed.close_price == D("97984.26")


async def test_commands_and_the_list_travel_over_the_bus() -> None:
    rig = Rig()
    await rig.bus.start()
    await rig.desk.start()
    client = TradeClient(rig.bus, timeout_s=5)
    answer = await client.submit(
        TradeCommandEvent(OpenTrade(Side.BUY, "BTCUSDT", D(100), exchange="fake", trailing_stop_pct=D(3)), key="x")
    )
    assert answer.error == "" and answer.trades[0].status is TradeStatus.OPEN
    assert [t.key for t in (await client.trades()).trades] == ["x"]
    refused = await client.submit(TradeCommandEvent(CloseTrade("ETHUSDT", "fake")))
    assert "no open trade of ETHUSDT" in refused.error
    # The price reaches the trade through md.trade.
    rig.exchange.bid = D("90000")
    tick = TradeTick(InstrumentRef("fake", Category.SPOT, "BTCUSDT"), "t1", D("90000"), D(1), Side.SELL, 1)
    await rig.bus.publish(tick.ref.topic("trade"), TRADE.encode(tick))
    await wait_for(lambda: not any(t.is_live for t in rig.trades.rows.values()))
    assert (await client.trades(live_only=False)).trades[0].close_reason == "trailing_stop"
    all_closed = await client.submit(TradeCommandEvent(CloseAll("fake")))
    assert all_closed.trades == ()
    await rig.desk.stop()
    await rig.bus.close()


async def test_the_ticker_is_polled_where_no_trade_came() -> None:
    rig = Rig(poll_interval_s=1)
    await rig.open(stop_loss_pct="2")
    rig.exchange.bid, rig.exchange.ask = D("90000"), D("90010")
    await rig.desk.poll()  # the fake's ticker: no last, so the mid
    assert await rig.trades.live() == []


def test_a_plugin_cannot_take_a_built_in_name() -> None:
    with pytest.raises(ValueError, match="built in"):
        RiskRegistry({"stop_loss": lambda p: None})  # type: ignore[arg-type,return-value]


def _fields(trade: object) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(trade, f.name) for f in dataclasses.fields(trade)}  # type: ignore[arg-type]


ticks = st.lists(st.integers(90_000_0, 115_000_0).map(lambda t: D(t) / 10), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ticks, st.booleans())
def test_a_trade_closes_exactly_once_whatever_the_path(path: list[Decimal], concurrently: bool) -> None:
    async def run() -> None:
        rig = Rig()
        await rig.open(trailing_stop_pct="2.8", stop_loss_pct="3", take_profit_pct="6")
        if concurrently:  # ticks racing each other: the market's lock serialises them
            await asyncio.gather(*(rig.desk.on_price(MARKET, p) for p in path))
        else:
            for price in path:
                await rig.desk.on_price(MARKET, price)
        trades = list(rig.trades.rows.values())
        assert len(rig.exits()) == (1 if trades[0].status is TradeStatus.CLOSED else 0)
        assert len(set(rig.exits())) == len(rig.exits())

    asyncio.run(run())


async def test_an_open_and_its_trailing_stop_close_are_announced_once_each_is_stored() -> None:
    rig: Rig
    bus = RecordingBus("trade.event.", witness=lambda p: rig.trades.rows[p["id"]].status)
    rig = Rig(bus=bus)
    await rig.open(trailing_stop_pct="2.8")
    await rig.desk.on_price(MARKET, D("110000"))
    rig.exchange.bid = D("106900")
    (trade,) = await rig.desk.on_price(MARKET, D("106920"))
    assert [(topic, stored) for topic, _, stored in bus.kept] == [
        ("trade.event.opened", TradeStatus.OPEN), ("trade.event.closed", TradeStatus.CLOSED),
    ]  # fmt: skip
    opened, closed = (TRADE_EVENT.decode(payload) for _, payload, _ in bus.kept)
    assert (opened.id, opened.side, opened.qty, opened.entry_price, opened.exit_price) == (
        trade.id, Side.BUY, D("0.000999"), D("100010"), None,
    )  # fmt: skip
    assert (closed.reason, closed.exit_price, closed.pnl, closed.fees) == (
        "trailing_stop", D("106900"), trade.pnl(), trade.fee + trade.close_fee,
    )  # fmt: skip
    assert (closed.quote, closed.tick_size, closed.qty_step) == ("USDT", D("0.1"), D("0.000001"))


class FailingSaves(FakeTrades):
    """The store refuses to save an opened trade, as a database gone away would."""

    async def save(self, trade: object) -> None:
        raise ConnectionError("database unreachable")


async def test_a_trade_the_store_did_not_keep_is_never_announced() -> None:
    bus = RecordingBus("trade.event.")
    rig = Rig(trades=FailingSaves(), bus=bus)
    with pytest.raises(ConnectionError):
        await rig.open(trailing_stop_pct="2.8")
    assert bus.kept == []


async def test_a_lost_announcement_is_logged_and_the_trade_stands() -> None:
    bus = RecordingBus("trade.event.")
    bus.refuse = True
    rig = Rig(bus=bus)
    with captured_logs() as logs:
        await rig.open(stop_loss_pct="2")
        (closed,) = await rig.desk.on_price(MARKET, D("98000"))
    assert closed.status is TradeStatus.CLOSED and rig.trades.rows[closed.id or 0].status is TradeStatus.CLOSED
    assert [e["topic"] for e in logs if e["event"] == "trade_events.lost"] == [
        "trade.event.opened", "trade.event.closed",
    ]  # fmt: skip


async def test_a_pair_that_fired_while_its_fill_is_not_reported_yet_is_waited_for_never_sold_twice() -> None:
    rig = Rig()
    trade = await open_linear(rig, "lag", stop_loss_pct=D(2), take_profit_pct=D(5))
    rig.exchange.stop_out("BTCUSDT", D("97990.5"), ts_ns=rig.clock.now_ns() + 1)  # the pair fired...
    fill = rig.exchange.executions.pop()  # ...and its fill is not in the account's list yet
    closing = asyncio.create_task(rig.desk.on_price(LINEAR_MARKET, D("98000")))
    await wait_for(lambda: rig.clock.pending_sleepers == 1)  # the cancel found the pair gone: waiting for its fill
    assert rig.exits() == [] and rig.exchange.cancelled_stops == [trade.protection_orders]
    rig.exchange.executions.append(fill)
    await rig.clock.advance(0.2)
    (closed,) = await closing
    assert (closed.closed_by_exchange, closed.close_price, closed.qty) == (True, D("97990.5"), D("0.01"))
    assert rig.exits() == []  # no exit of the desk's own: it would have sold another's share
