"""ccxt's async binance client, unmodified but for its URLs, trading spot against the simulator over loopback."""

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from tests.support.bybit_server import START, Served
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side

from .binance_support import ccxt_binance, face, state_of

D = Decimal


@pytest.fixture(params=[D, str], ids=["number=Decimal", "number=str"])
async def client(wall_server: Served, request: pytest.FixtureRequest) -> AsyncIterator[ccxt.binance]:
    """Both ways the generic adapter may set ``client.number``; every number is read back with ``n``."""
    ex = ccxt_binance(wall_server, number=request.param)
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()


@pytest.fixture
async def str_client(wall_server: Served) -> AsyncIterator[ccxt.binance]:
    """Numbers as strings. With ``number = Decimal`` ccxt 4.5.90 itself drops fees (``safe_trade``), fails a
    cost-based market order (no price precision) and sends amounts below 1e-4 as floats ("5e-06")."""
    ex = ccxt_binance(wall_server, number=str)
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()


def n(value: object) -> D:
    """A number ccxt parsed (Decimal or exact string) as a Decimal."""
    return D(str(value))


def _coin(served: Served, coin: str, key: str = "trader-1") -> tuple[D, D]:
    view = served.venue.wallet_view(key).coin(coin)
    assert view is not None
    return view.balance, view.locked


async def test_markets_carry_the_instrument_filters_exactly(client: ccxt.binance, wall_server: Served) -> None:
    assert set(client.markets) == {"BTC/USDT", "ETH/USDT"}
    for inst in wall_server.venue.instruments(Category.SPOT):
        market = client.markets[f"{inst.base}/USDT"]
        assert (market["id"], market["spot"], market["active"], market["type"]) == (inst.symbol, True, True, "spot")
        assert n(market["precision"]["price"]) == inst.tick_size
        assert n(market["precision"]["amount"]) == inst.qty_step
        limits = market["limits"]
        assert (n(limits["amount"]["min"]), n(limits["amount"]["max"])) == (inst.min_qty, inst.max_qty)
        assert n(limits["cost"]["min"]) == inst.min_notional
        assert n(limits["price"]["min"]) == inst.tick_size
        assert all(type(v) is client.number for v in market["precision"].values())


async def test_time_book_and_ticker_come_from_the_venue(client: ccxt.binance, wall_server: Served) -> None:
    before = time.time_ns() // 1_000_000
    server_time = await client.fetch_time()
    assert before <= server_time <= time.time_ns() // 1_000_000
    book = await client.fetch_order_book("BTC/USDT", limit=3)
    assert book["nonce"] == wall_server.venue.engine(Category.SPOT, "BTCUSDT").seq == 10
    assert book["asks"] == [[60010.0, 1.0], [60020.0, 1.0], [60030.0, 1.0]]
    assert book["bids"][0] == [59990.0, 1.0]
    ticker = await client.fetch_ticker("ETH/USDT")
    assert (n(ticker["bid"]), n(ticker["ask"]), n(ticker["bidVolume"])) == (D("2999"), D("3001"), D("10"))
    assert ticker["last"] is None  # no trade yet: Binance's "0.00000000" last price


async def test_trades_ticker_and_candles_follow_a_fill(client: ccxt.binance, wall_server: Served) -> None:
    await client.create_order("BTC/USDT", "market", "buy", client.number("0.5"))
    (trade,) = await client.fetch_trades("BTC/USDT")
    assert (n(trade["price"]), n(trade["amount"]), trade["side"]) == (D("60010"), D("0.5"), "buy")
    ticker = await client.fetch_ticker("BTC/USDT")
    assert (n(ticker["last"]), n(ticker["baseVolume"]), n(ticker["quoteVolume"])) == (D("60010"), D("0.5"), D("30005"))
    assert (n(ticker["ask"]), n(ticker["askVolume"])) == (D("60010"), D("0.5"))
    (candle,) = await client.fetch_ohlcv("BTC/USDT", "1m")
    assert [n(v) for v in candle[1:]] == [D("60010")] * 4 + [D("0.5")]
    assert candle[0] % 60_000 == 0


async def test_limit_order_rests_and_is_found_and_cancelled_by_either_id(
    client: ccxt.binance, wall_server: Served
) -> None:
    num = client.number
    order = await client.create_order("BTC/USDT", "limit", "buy", num("0.01"), num("59000"), {"clientOrderId": "cl-1"})
    assert (order["status"], order["clientOrderId"], n(order["amount"]), n(order["price"])) == (
        "open",
        "cl-1",
        D("0.01"),
        D("59000"),
    )
    assert order["id"].isdigit()
    assert _coin(wall_server, "USDT") == (START["USDT"], D("590"))
    by_id = await client.fetch_order(order["id"], "BTC/USDT")
    by_client_id = await client.fetch_order(None, "BTC/USDT", {"clientOrderId": "cl-1"})
    assert by_id["id"] == by_client_id["id"] == order["id"]
    assert [o["id"] for o in await client.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert n((await client.fetch_balance())["used"]["USDT"]) == D("590")
    cancelled = await client.cancel_order(order["id"], "BTC/USDT")
    assert (cancelled["id"], cancelled["status"]) == (order["id"], "canceled")
    assert _coin(wall_server, "USDT") == (START["USDT"], D(0))
    other = await client.create_order("ETH/USDT", "limit", "sell", num("1"), num("3100"), {"clientOrderId": "cl-2"})
    gone = await client.cancel_order(None, "ETH/USDT", {"clientOrderId": "cl-2"})
    assert (gone["id"], gone["status"]) == (other["id"], "canceled")
    assert await client.fetch_open_orders("ETH/USDT") == []
    assert [o["id"] for o in await client.fetch_canceled_orders("BTC/USDT")] == [order["id"]]


async def test_market_orders_by_quantity(client: ccxt.binance, wall_server: Served) -> None:
    buy = await client.create_order("BTC/USDT", "market", "buy", client.number("1.5"))
    assert (buy["status"], n(buy["filled"]), n(buy["cost"])) == ("closed", D("1.5"), D("90020"))  # 1 @ 60010 + 0.5
    sell = await client.create_order("BTC/USDT", "market", "sell", client.number("0.02"))
    assert (sell["status"], n(sell["filled"]), n(sell["cost"])) == ("closed", D("0.02"), D("1199.8"))
    btc, _ = _coin(wall_server, "BTC")
    assert btc == START["BTC"] + D("1.5") - D("0.0015") - D("0.02")


async def test_market_order_by_cost_sends_quote_order_qty(str_client: ccxt.binance, wall_server: Served) -> None:
    # with a price, ccxt sends quoteOrderQty = amount x price: sell for 1199.8 USDT at the best bid
    sell = await str_client.create_order("BTC/USDT", "market", "sell", "0.02", "59990")
    assert (sell["status"], n(sell["filled"]), n(sell["cost"])) == ("closed", D("0.02"), D("1199.8"))
    assert sell["info"]["origQuoteOrderQty"] == "1199.80000000"
    buy = await str_client.create_order("BTC/USDT", "market", "buy", None, None, {"quoteOrderQty": "90020"})
    assert (n(buy["filled"]), n(buy["cost"])) == (D("1.5"), D("90020"))
    btc, _ = _coin(wall_server, "BTC")
    assert btc == START["BTC"] - D("0.02") + D("1.5") - D("0.0015")


async def test_my_trades_carry_exact_commissions(str_client: ccxt.binance, wall_server: Served) -> None:
    await str_client.create_order("BTC/USDT", "market", "buy", "0.01")
    await str_client.create_order("BTC/USDT", "market", "sell", "0.004")
    trades = await str_client.fetch_my_trades("BTC/USDT")
    assert [(t["side"], t["amount"], t["price"], t["takerOrMaker"]) for t in trades] == [
        ("buy", "0.01000000", "60010.00000000", "taker"),
        ("sell", "0.00400000", "59990.00000000", "taker"),
    ]
    assert [t["fee"] for t in trades] == [
        {"currency": "BTC", "cost": "0.00001000"},
        {"currency": "USDT", "cost": "0.23996000"},
    ]
    executions = [e for e in wall_server.venue.account("trader-1").executions]  # type: ignore[union-attr]
    assert [D(t["fee"]["cost"]) for t in trades] == [e.fee for e in executions]
    first_id = int(trades[1]["id"])
    assert [t["id"] for t in await str_client.fetch_my_trades("BTC/USDT", None, None, {"fromId": first_id})] == [
        trades[1]["id"]
    ]
    assert len(await str_client.fetch_my_trades("BTC/USDT", limit=1)) == 1
    by_order = await str_client.fetch_my_trades("BTC/USDT", params={"orderId": trades[0]["order"]})
    assert [t["id"] for t in by_order] == [trades[0]["id"]]


async def test_order_history_and_balance(client: ccxt.binance, wall_server: Served) -> None:
    num = client.number
    resting = await client.create_order("BTC/USDT", "limit", "sell", num("0.1"), num("61000"))
    filled = await client.create_order("BTC/USDT", "limit", "buy", num("0.1"), num("60010"))
    orders = await client.fetch_orders("BTC/USDT")
    assert [(o["id"], o["status"]) for o in orders] == [(resting["id"], "open"), (filled["id"], "closed")]
    assert [o["id"] for o in await client.fetch_closed_orders("BTC/USDT")] == [filled["id"]]
    balance = await client.fetch_balance()
    for coin in ("BTC", "USDT"):
        total, locked = _coin(wall_server, coin)
        assert (n(balance["total"][coin]), n(balance["used"][coin])) == (total, locked)
        assert n(balance["free"][coin]) == total - locked
    assert n(balance["used"]["BTC"]) == D("0.1")


async def test_cancel_all_orders_of_a_symbol(client: ccxt.binance, wall_server: Served) -> None:
    num = client.number
    for price in ("59000", "58000"):
        await client.create_order("BTC/USDT", "limit", "buy", num("0.01"), num(price))
    await client.create_order("ETH/USDT", "limit", "buy", num("0.1"), num("2900"))
    cancelled = await client.cancel_all_orders("BTC/USDT")
    assert [o["status"] for o in cancelled] == ["canceled", "canceled"]
    assert await client.fetch_open_orders("BTC/USDT") == []
    assert len(await client.fetch_open_orders("ETH/USDT")) == 1


async def test_orders_placed_over_bybit_show_with_integer_ids(client: ccxt.binance, wall_server: Served) -> None:
    bybit_order = wall_server.venue.place_order(
        "trader-1",
        OrderRequest(Category.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D("59500"), order_link_id="by-1"),
    )
    (seen,) = await client.fetch_open_orders("BTC/USDT")
    assert seen["clientOrderId"] == "by-1"
    assert int(seen["id"]) == face(wall_server).ids.of_order(bybit_order)
    assert (await client.fetch_order(seen["id"], "BTC/USDT"))["clientOrderId"] == "by-1"


async def test_refusals_raise_the_right_ccxt_errors_and_change_nothing(
    client: ccxt.binance, wall_server: Served
) -> None:
    num = client.number
    await client.create_order("BTC/USDT", "limit", "buy", num("0.01"), num("59000"), {"clientOrderId": "dup"})
    before = state_of(wall_server.venue)
    refusals: list[tuple[type[Exception], str, object]] = [
        (ccxt.OrderNotFound, "-2013", client.fetch_order("987654", "BTC/USDT")),
        (ccxt.OrderNotFound, "-2011", client.cancel_order("987654", "BTC/USDT")),
        (ccxt.InsufficientFunds, "insufficient balance", client.create_order("BTC/USDT", "market", "sell", num("5"))),
        (ccxt.InvalidOrder, "LOT_SIZE", client.create_order("BTC/USDT", "limit", "buy", num("100"), num("59000"))),
        (ccxt.BadRequest, "NOTIONAL", client.create_order("BTC/USDT", "limit", "buy", num("0.0001"), num("40000"))),
        (
            ccxt.InvalidOrder,
            "Duplicate order sent.",
            client.create_order("BTC/USDT", "limit", "buy", num("0.01"), num("58000"), {"clientOrderId": "dup"}),
        ),
        (
            ccxt.OrderImmediatelyFillable,
            "immediately match",
            client.create_order("BTC/USDT", "limit", "buy", num("0.01"), num("60010"), {"postOnly": True}),
        ),
    ]
    for error, text, pending in refusals:
        with pytest.raises(error) as info:
            await pending  # type: ignore[misc]
        assert text in str(info.value)
    assert state_of(wall_server.venue) == before


async def test_bad_credentials_are_authentication_errors(wall_server: Served) -> None:
    for key, secret in (("trader-1", "not-the-secret"), ("nobody", "x")):
        ex = ccxt_binance(wall_server)
        ex.apiKey, ex.secret = key, secret
        try:
            with pytest.raises(ccxt.AuthenticationError) as info:
                await ex.fetch_balance()
        finally:
            await ex.close()
        assert ('"code":-1022' if key == "trader-1" else '"code":-2015') in str(info.value)
