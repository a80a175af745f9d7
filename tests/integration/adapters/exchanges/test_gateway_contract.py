"""One ExchangeGateway contract, run on the in-process SimGateway and, over loopback, on Bybit's raw V5 gateway and
on the unified-API gateway every other ccxt exchange uses, driving ccxt's bybit class and ccxt's binance class (the
sim-exchange's Binance spot face). Derivative checks run where the venue has perpetuals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bybit_server import START, Served
from tradewind.adapters.exchanges.ccxt import UnifiedCcxtGateway
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.application.ports.exchange import (
    ExchangeGateway,
    OrderNotFound,
    ProtectionUnsupported,
    UnknownInstrument,
)
from tradewind.application.venue import MarketUnit, OrderRequest
from tradewind.domain.instruments import FilterError
from tradewind.domain.orders import OrderIntent, OrderState, PositionProtection, ProtectionOrders
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts import StopKind

from .gateway_support import ccxt_gateway

D = Decimal


def _open(kind: str, served: Served) -> ExchangeGateway:
    if kind == "sim":
        return SimGateway(served.venue, "trader-1")
    if kind == "binance":
        return ccxt_gateway(served.url, type="binance")
    return ccxt_gateway(served.url, api=kind)


@contextlib.asynccontextmanager
async def _loaded(kind: str, served: Served) -> AsyncIterator[ExchangeGateway]:
    gw = _open(kind, served)
    await gw.load_instruments()
    try:
        yield gw
    finally:
        await gw.close()


@pytest.fixture(params=["sim", "bybit-v5", "unified", "binance"])
async def gateway(request: pytest.FixtureRequest, sim_server: Served) -> AsyncIterator[ExchangeGateway]:
    async with _loaded(request.param, sim_server) as gw:
        yield gw


@pytest.fixture(params=["sim", "bybit-v5", "unified"])  # the venues with perpetuals
async def perp_gateway(request: pytest.FixtureRequest, sim_server: Served) -> AsyncIterator[ExchangeGateway]:
    async with _loaded(request.param, sim_server) as gw:
        yield gw


def intent(
    cid: str,
    *,
    side: Side = Side.BUY,
    qty: str = "0.01",
    price: str | None = "59000",
    category: Category = Category.SPOT,
    tif: TimeInForce = TimeInForce.GTC,
) -> OrderIntent:
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    return OrderIntent(
        cid, "x", category, "BTCUSDT", side, kind, D(qty), None if price is None else D(price), tif
    )  # fmt: skip


async def test_instruments_are_loaded_and_an_unknown_symbol_is_named(gateway: ExchangeGateway) -> None:
    inst = gateway.instrument(Category.SPOT, "BTCUSDT")
    assert (inst.tick_size, inst.qty_step, inst.min_qty, inst.min_notional) == (
        D("0.1"), D("0.000001"), D("0.000011"), D("5")
    )  # fmt: skip
    with pytest.raises(UnknownInstrument, match="DOGEUSDT"):
        gateway.instrument(Category.SPOT, "DOGEUSDT")


async def test_resting_limit_order_is_listed_then_cancelled(gateway: ExchangeGateway) -> None:
    placed = await gateway.place_order(intent("rest-1"))
    assert (placed.state, placed.client_order_id, placed.filled_qty) == (OrderState.NEW, "rest-1", 0)
    assert [o.client_order_id for o in await gateway.fetch_open_orders(Category.SPOT, "BTCUSDT")] == ["rest-1"]
    cancelled = await gateway.cancel_order(Category.SPOT, "BTCUSDT", "rest-1")
    assert cancelled.state is OrderState.CANCELLED and cancelled.is_final
    assert await gateway.fetch_open_orders(Category.SPOT, "BTCUSDT") == []
    balances = await gateway.fetch_balances()
    assert balances["USDT"].locked == 0 and balances["USDT"].free == START["USDT"]


async def test_market_buy_fills_with_fee_and_its_fill_is_found_by_client_id(gateway: ExchangeGateway) -> None:
    result = await gateway.place_order(intent("mkt-1", qty="0.02", price=None))
    assert result.state is OrderState.FILLED
    assert (result.filled_qty, result.avg_price) == (D("0.02"), D("60010"))
    fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT", client_order_id="mkt-1")
    assert [(f.price, f.qty, f.is_maker) for f in fills] == [(D("60010"), D("0.02"), False)]
    assert fills[0].fee > 0 and fills[0].fee_currency == "BTC"
    assert (await gateway.fetch_balances())["BTC"].total == START["BTC"] + D("0.02") - fills[0].fee


async def test_order_is_rounded_to_the_grid_before_it_leaves(gateway: ExchangeGateway) -> None:
    result = await gateway.place_order(intent("round-1", qty="0.0100004", price="59000.04"))
    assert (result.qty, result.price) == (D("0.01"), D("59000"))


async def test_order_below_minimum_notional_is_refused_naming_the_rule_and_nothing_is_sent(
    gateway: ExchangeGateway,
) -> None:
    with pytest.raises(FilterError, match="notional") as info:
        await gateway.place_order(intent("small-1", qty="0.00005", price="59000"))
    assert info.value.rule == "min_notional"
    assert await gateway.fetch_order(Category.SPOT, "BTCUSDT", "small-1") is None


async def test_the_same_client_order_id_twice_is_one_order(gateway: ExchangeGateway) -> None:
    first = await gateway.place_order(intent("twice-1"))
    second = await gateway.place_order(intent("twice-1"))
    assert second.exchange_order_id == first.exchange_order_id
    assert len(await gateway.fetch_open_orders(Category.SPOT, "BTCUSDT")) == 1


async def test_linear_market_sell_opens_a_signed_position(perp_gateway: ExchangeGateway) -> None:
    gateway = perp_gateway
    inst = gateway.instrument(Category.LINEAR, "BTCUSDT")
    assert (inst.tick_size, inst.qty_step, inst.min_qty) == (D("0.1"), D("0.001"), D("0.001"))
    await gateway.place_order(intent("perp-1", side=Side.SELL, qty="0.005", price=None, category=Category.LINEAR))
    assert await gateway.fetch_positions(Category.SPOT) == []
    (position,) = await gateway.fetch_positions(Category.LINEAR)
    assert (position.symbol, position.size, position.avg_price) == ("BTCUSDT", D("-0.005"), D("59990"))


async def test_ticker_shows_the_seeded_best_prices(gateway: ExchangeGateway) -> None:
    ticker = await gateway.fetch_ticker(Category.SPOT, "BTCUSDT")
    assert (ticker.bid, ticker.ask, ticker.mid) == (D("59990"), D("60010"), D("60000"))


async def test_cancelling_an_unknown_order_raises_order_not_found(gateway: ExchangeGateway) -> None:
    with pytest.raises(OrderNotFound):
        await gateway.cancel_order(Category.SPOT, "BTCUSDT", "never-placed")


async def test_ioc_limit_that_cannot_fill_ends_cancelled(gateway: ExchangeGateway) -> None:
    result = await gateway.place_order(intent("ioc-1", price="59000", tif=TimeInForce.IOC))
    assert result.state is OrderState.CANCELLED and result.filled_qty == 0


async def test_a_fresh_gateway_names_the_client_id_of_fills_fetched_without_one(
    gateway: ExchangeGateway, sim_server: Served, request: pytest.FixtureRequest
) -> None:
    await gateway.place_order(intent("named-1", qty="0.02", price=None))
    async with _loaded(request.node.callspec.params["gateway"], sim_server) as fresh:  # knows none of our orders
        fills = await fresh.fetch_fills(Category.SPOT, "BTCUSDT")
    assert [(f.client_order_id, f.qty) for f in fills] == [("named-1", D("0.02"))]


async def test_every_fill_of_an_order_with_more_executions_than_one_page_is_listed(
    gateway: ExchangeGateway, sim_server: Served
) -> None:
    # 1050 executions: more than a page on every venue (Bybit 100, Binance 1000), so only paging finds them all.
    resting = await gateway.place_order(intent("many-1", qty="1.05", price="59995"))
    counter = OrderRequest(
        Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, D("0.001"), D("59995"), TimeInForce.IOC
    )
    for _ in range(1050):
        sim_server.venue.place_order("trader-2", counter)
    order = await gateway.fetch_order(Category.SPOT, "BTCUSDT", "many-1")
    fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT", client_order_id="many-1")
    assert resting.client_order_id == "many-1"
    assert order is not None and order.state is OrderState.FILLED and order.filled_qty == D("1.05")
    assert len(fills) == 1050 == len({f.trade_id for f in fills})
    assert sum((f.qty for f in fills), D(0)) == order.filled_qty


async def test_kline_history_is_the_venue_tape_as_candles_oldest_first(
    gateway: ExchangeGateway, sim_server: Served
) -> None:
    # Three trades against the seeded book: at 60010, 59990, 60010 (the maker's best levels).
    for side, qty in ((Side.BUY, "0.01"), (Side.SELL, "0.02"), (Side.BUY, "0.03")):
        order = OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.MARKET, D(qty), market_unit=MarketUnit.BASE)
        sim_server.venue.place_order("trader-2", order)
    now = sim_server.venue.clock.now_ms()

    candles = await gateway.fetch_candles(Category.SPOT, "BTCUSDT", 1, start_ms=now - 120_000, end_ms=now + 60_000)

    assert candles and all(c.interval == 1 and c.start_ms % 60_000 == 0 for c in candles)
    assert [c.start_ms for c in candles] == sorted({c.start_ms for c in candles})
    assert sum((c.volume for c in candles), D(0)) == D("0.06")  # every trade once, in base units
    assert (candles[0].open, candles[-1].close) == (D(60010), D(60010))
    assert (max(c.high for c in candles), min(c.low for c in candles)) == (D(60010), D(59990))
    assert all(c.ref.symbol == "BTCUSDT" and c.ref.category is Category.SPOT for c in candles)
    assert await gateway.fetch_candles(Category.SPOT, "ETHUSDT", 1, end_ms=now + 60_000) == []  # no trade there


async def test_amend_changes_a_resting_orders_price_and_qty_on_the_grid(perp_gateway: ExchangeGateway) -> None:
    gateway = perp_gateway
    await gateway.place_order(intent("amend-1"))
    amended = await gateway.amend_order(Category.SPOT, "BTCUSDT", "amend-1", qty=D("0.0200004"), price=D("59100.04"))
    assert (amended.client_order_id, amended.state, amended.qty, amended.price) == (
        "amend-1", OrderState.NEW, D("0.02"), D("59100"),
    )  # fmt: skip
    (listed,) = await gateway.fetch_open_orders(Category.SPOT, "BTCUSDT")
    assert (listed.qty, listed.price) == (D("0.02"), D("59100"))
    with pytest.raises(OrderNotFound):
        await gateway.amend_order(Category.SPOT, "BTCUSDT", "no-such-order", price=D("59000"))


async def test_spot_has_no_position_protection_on_any_gateway(gateway: ExchangeGateway) -> None:
    with pytest.raises(ProtectionUnsupported):
        await gateway.set_protection(Category.SPOT, "BTCUSDT", PositionProtection(D("65000"), D("55000")))


async def test_linear_position_protection_and_leverage_are_kept_by_the_venue(
    perp_gateway: ExchangeGateway, sim_server: Served
) -> None:
    gateway = perp_gateway
    await gateway.set_leverage(Category.LINEAR, "BTCUSDT", D("5"))
    # The same signed request within one millisecond is a replay to the sim's face (10002): a later one is a new call.
    await asyncio.sleep(0.002)
    await gateway.set_leverage(Category.LINEAR, "BTCUSDT", D("5"))  # unchanged: no error
    await gateway.place_order(intent("prot-1", qty="0.005", price=None, category=Category.LINEAR))
    protection = PositionProtection(D("65000"), D("55000"), D("500"))
    if isinstance(gateway, UnifiedCcxtGateway):  # ccxt's unified API has no position-level stops: the caller watches
        with pytest.raises(ProtectionUnsupported, match="unified"):
            await gateway.set_protection(Category.LINEAR, "BTCUSDT", protection)
        return
    await gateway.set_protection(Category.LINEAR, "BTCUSDT", protection)
    view = sim_server.venue.position_view("trader-1", "BTCUSDT")
    assert (view.leverage, view.take_profit, view.stop_loss, view.trailing_stop) == (
        D("5"), D("65000"), D("55000"), D("500"),
    )  # fmt: skip
    with pytest.raises(ProtectionUnsupported):  # a stop-loss above the price of a long: refused, and named
        await gateway.set_protection(Category.LINEAR, "BTCUSDT", PositionProtection(stop_loss=D("70000")))


async def test_sized_protections_are_separate_partial_orders_each_closing_its_own_size(
    perp_gateway: ExchangeGateway, sim_server: Served
) -> None:
    gateway = perp_gateway
    await gateway.place_order(intent("part-1", qty="0.005", price=None, category=Category.LINEAR))  # at 60010
    a_levels = PositionProtection(D("65000"), D("59985"), size=D("0.002"))
    b_levels = PositionProtection(D("66000"), D("59950"), size=D("0.003"))
    if isinstance(gateway, UnifiedCcxtGateway):
        with pytest.raises(ProtectionUnsupported, match="sized"):
            await gateway.set_protection(Category.LINEAR, "BTCUSDT", a_levels)
        return
    a = await gateway.set_protection(Category.LINEAR, "BTCUSDT", a_levels)
    b = await gateway.set_protection(Category.LINEAR, "BTCUSDT", b_levels)
    assert len({*a.ids, *b.ids}) == 4  # two pairs, four conditional orders, each named
    account = sim_server.venue.account("trader-1")
    assert account is not None
    stops = {o.order_id: (o.stop_kind, o.qty, o.trigger_price) for o in account.conditional_orders("BTCUSDT")}
    assert stops == {
        a.take_profit_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.002"), D("65000")),
        a.stop_loss_id: (StopKind.PARTIAL_STOP_LOSS, D("0.002"), D("59985")),
        b.take_profit_id: (StopKind.PARTIAL_TAKE_PROFIT, D("0.003"), D("66000")),
        b.stop_loss_id: (StopKind.PARTIAL_STOP_LOSS, D("0.003"), D("59950")),
    }
    view = sim_server.venue.position_view("trader-1", "BTCUSDT")
    assert (view.take_profit, view.stop_loss) == (None, None)  # no whole-position levels
    # another account sells through 59990 to 59980: A's stop fires, B's (59950) does not
    sim_server.venue.place_order(
        "trader-2", OrderRequest(Category.LINEAR, "BTCUSDT", Side.SELL, OrderType.MARKET, D("1.5"))
    )
    assert sim_server.venue.position_view("trader-1", "BTCUSDT").size == D("0.003")
    fills = await gateway.fetch_fills(Category.LINEAR, "BTCUSDT")
    assert [(f.qty, f.price, f.side) for f in fills if f.order_id == a.stop_loss_id] == [
        (D("0.002"), D("59980"), Side.SELL)
    ]
    assert not [f for f in fills if f.order_id in b.ids]
    assert await gateway.cancel_protection(Category.LINEAR, "BTCUSDT", a) is False  # fired, its pair deactivated
    assert await gateway.cancel_protection(Category.LINEAR, "BTCUSDT", b) is True
    assert account.conditional_orders("BTCUSDT") == []
    assert await gateway.cancel_protection(Category.LINEAR, "BTCUSDT", ProtectionOrders()) is True  # nothing to do
