"""ccxt's async bybit client, unmodified but for its URLs, trading against the simulator over loopback."""

from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from tests.support.bybit_server import START, Served, ccxt_client
from tradewind.domain.values import Category

D = Decimal


@pytest.fixture
async def client(wall_server: Served) -> AsyncIterator[ccxt.bybit]:
    ex = ccxt_client(wall_server.url, "trader-1")
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()


def _balance(served: Served, coin: str) -> tuple[D, D]:
    view = served.venue.wallet_view("trader-1").coin(coin)
    assert view is not None
    return view.balance, view.locked


async def test_markets_carry_the_instrument_filters(client: ccxt.bybit) -> None:
    markets = client.markets
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
    spot, perp = markets["BTC/USDT"], markets["BTC/USDT:USDT"]
    assert (spot["precision"]["price"], spot["precision"]["amount"]) == (0.1, 0.000001)
    assert spot["limits"]["cost"]["min"] == 5
    assert perp["linear"] and perp["settle"] == "USDT"
    assert (perp["precision"]["amount"], perp["limits"]["amount"]["min"]) == (0.001, 0.001)


async def test_ticker_order_book_and_time_come_from_the_engine(client: ccxt.bybit, wall_server: Served) -> None:
    ticker = await client.fetch_ticker("BTC/USDT")
    assert (ticker["bid"], ticker["ask"]) == (59990.0, 60010.0)
    book = await client.fetch_order_book("BTC/USDT:USDT", limit=3)
    assert book["asks"] == [[60010.0, 1.0], [60020.0, 1.0], [60030.0, 1.0]]
    assert book["bids"][0] == [59990.0, 1.0]
    assert await client.fetch_time() > 0


async def test_balance_starts_at_the_configured_amounts(client: ccxt.bybit) -> None:
    balance = await client.fetch_balance()
    assert balance["total"]["USDT"] == float(START["USDT"])
    assert balance["free"]["BTC"] == float(START["BTC"])


async def test_limit_order_rests_locks_funds_and_cancels(client: ccxt.bybit, wall_server: Served) -> None:
    order = await client.create_order("BTC/USDT", "limit", "buy", 0.01, 59000, {"clientOrderId": "cl-1"})
    (open_order,) = await client.fetch_open_orders("BTC/USDT")
    assert (open_order["id"], open_order["clientOrderId"], open_order["status"]) == (order["id"], "cl-1", "open")
    assert _balance(wall_server, "USDT") == (START["USDT"], D("590"))
    assert (await client.fetch_balance())["used"]["USDT"] == 590.0
    await client.cancel_order(order["id"], "BTC/USDT")
    assert await client.fetch_open_orders("BTC/USDT") == []
    assert _balance(wall_server, "USDT") == (START["USDT"], D(0))
    (history,) = await client.fetch_canceled_orders("BTC/USDT")
    assert history["id"] == order["id"]


async def test_spot_market_buy_and_sell_show_in_my_trades_with_fees(client: ccxt.bybit, wall_server: Served) -> None:
    await client.create_order("BTC/USDT", "market", "buy", 0.01)
    await client.create_order("BTC/USDT", "market", "sell", 0.004)
    trades = sorted(await client.fetch_my_trades("BTC/USDT"), key=lambda t: t["side"])
    assert [(t["side"], t["amount"], t["price"]) for t in trades] == [("buy", 0.01, 60010.0), ("sell", 0.004, 59990.0)]
    assert (trades[0]["fee"]["currency"], trades[1]["fee"]["currency"]) == ("BTC", "USDT")
    assert not any(t["takerOrMaker"] == "maker" for t in trades)
    btc, _ = _balance(wall_server, "BTC")
    usdt, _ = _balance(wall_server, "USDT")
    assert btc == START["BTC"] + D("0.01") - D("0.00001") - D("0.004")
    assert usdt == START["USDT"] - D("600.1") + D("239.96") - D("0.23996")


async def test_spot_market_buy_with_a_price_spends_that_much_quote(client: ccxt.bybit) -> None:
    order = await client.create_order("BTC/USDT", "market", "buy", 0.02, 60010)
    (trade,) = await client.fetch_my_trades("BTC/USDT")
    assert trade["order"] == order["id"]
    assert trade["cost"] == pytest.approx(1200.2)


async def test_linear_market_orders_open_and_close_a_position(client: ccxt.bybit) -> None:
    await client.create_order("BTC/USDT:USDT", "market", "buy", 0.05)
    (pos,) = await client.fetch_positions(["BTC/USDT:USDT"])
    assert (pos["side"], pos["contracts"], pos["entryPrice"]) == ("long", 0.05, 60010.0)
    assert pos["leverage"] == 10
    await client.create_order("BTC/USDT:USDT", "market", "sell", 0.05, None, {"reduceOnly": True})
    assert await client.fetch_positions() == []
    trades = await client.fetch_my_trades("BTC/USDT:USDT")
    assert sorted(t["side"] for t in trades) == ["buy", "sell"]


async def test_set_leverage_changes_the_position_margin(client: ccxt.bybit, wall_server: Served) -> None:
    await client.set_leverage(5, "BTC/USDT:USDT")
    await client.create_order("BTC/USDT:USDT", "market", "buy", 0.1)
    (pos,) = await client.fetch_positions(["BTC/USDT:USDT"])
    assert pos["leverage"] == 5
    assert wall_server.venue.wallet_view("trader-1").coin("USDT").position_im == D("1200.2")  # type: ignore[union-attr]


async def test_amend_moves_the_order_in_the_book(client: ccxt.bybit, wall_server: Served) -> None:
    order = await client.create_order("ETH/USDT:USDT", "limit", "sell", 0.5, 3100)
    await client.edit_order(order["id"], "ETH/USDT:USDT", "limit", "sell", 0.7, 3090)
    (resting,) = await client.fetch_open_orders("ETH/USDT:USDT")
    assert (resting["price"], resting["amount"]) == (3090.0, 0.7)
    engine = wall_server.venue.engine(Category.LINEAR, "ETHUSDT")
    assert engine.order(order["id"]) is not None


async def test_cancel_all_orders_empties_the_symbol(client: ccxt.bybit) -> None:
    for price in (59000, 58000):
        await client.create_order("BTC/USDT:USDT", "limit", "buy", 0.01, price)
    await client.cancel_all_orders("BTC/USDT:USDT")
    assert await client.fetch_open_orders("BTC/USDT:USDT") == []


async def test_qty_below_the_minimum_is_refused_with_bybits_code(client: ccxt.bybit, wall_server: Served) -> None:
    before = wall_server.venue.wallet_view("trader-1")
    with pytest.raises(ccxt.InvalidOrder, match="170136"):
        await client.create_order("BTC/USDT", "limit", "buy", 0.00001, 59000)
    with pytest.raises(ccxt.InvalidOrder, match="170140"):
        await client.create_order("ETH/USDT", "limit", "buy", 0.001, 2900)  # worth 2.9 < 5 USDT
    with pytest.raises(ccxt.InsufficientFunds, match="170131"):
        await client.create_order("BTC/USDT", "limit", "sell", 3, 70000)
    assert wall_server.venue.wallet_view("trader-1").coins == before.coins
    assert await client.fetch_open_orders("BTC/USDT") == []


async def test_klines_and_public_trades_are_built_from_the_fills(client: ccxt.bybit) -> None:
    await client.create_order("ETH/USDT", "market", "buy", 0.5, None, {"marketUnit": "baseCoin"})
    trades = await client.fetch_trades("ETH/USDT")
    assert [(t["price"], t["amount"], t["side"]) for t in trades] == [(3001.0, 0.5, "buy")]
    (candle,) = await client.fetch_ohlcv("ETH/USDT", "1m")
    assert candle[1:] == [3001.0, 3001.0, 3001.0, 3001.0, 0.5]
