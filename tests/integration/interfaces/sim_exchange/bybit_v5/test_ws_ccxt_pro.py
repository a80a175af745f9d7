"""ccxt.pro's bybit client, unmodified but for its URLs, streaming from the simulator over loopback."""

import asyncio
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro
import pytest
from ccxt.base.errors import AuthenticationError

from tests.support.bybit_server import Served
from tests.support.bybit_ws import ccxt_pro_client, ws_server
from tests.support.waiting import wait_for
from tradewind.application.venue import Order, OrderRef, OrderRequest
from tradewind.domain.values import Category, OrderType, Side

D = Decimal


@pytest.fixture
async def pro(wall_server: Served) -> AsyncIterator[ccxtpro.bybit]:
    client = ccxt_pro_client(wall_server, "trader-1")
    try:
        await client.load_markets()
        yield client
    finally:
        await client.close()


def _levels(side: Any) -> list[list[float]]:
    return [[float(p), float(q)] for p, q in side]


async def _rest_book(http: aiohttp.ClientSession, served: Served, category: str) -> dict[str, Any]:
    url = f"{served.url}/v5/market/orderbook?category={category}&symbol=BTCUSDT&limit=50"
    async with http.get(url) as resp:
        result: dict[str, Any] = (await resp.json())["result"]
    return result


@pytest.mark.parametrize(("symbol", "category"), [("BTC/USDT", Category.SPOT), ("BTC/USDT:USDT", Category.LINEAR)])
async def test_watch_order_book_tracks_a_changing_book_to_the_rest_snapshot_at_the_same_seq(
    pro: ccxtpro.bybit, wall_server: Served, http: aiohttp.ClientSession, symbol: str, category: Category
) -> None:
    venue = wall_server.venue
    engine = venue.engine(category, "BTCUSDT")
    first = await pro.watch_order_book(symbol, 50)
    rest = await _rest_book(http, wall_server, category.value)
    assert (_levels(first["bids"]), _levels(first["asks"])) == (_levels(rest["b"]), _levels(rest["a"]))
    rng = random.Random(11)
    maker = venue.account("maker")
    assert maker is not None
    for n in range(60):  # the maker quotes and cancels, trader-1 takes through ccxt's REST client
        if n % 6 == 5:
            await pro.create_order(symbol, "market", rng.choice(["buy", "sell"]), 0.3)
        elif n % 4 == 3:
            live = [o for o in maker.open_orders.values() if (o.category, o.symbol) == (category, "BTCUSDT")]
            venue.cancel_order("maker", _ref(rng.choice(live)))
        else:
            side = rng.choice([Side.BUY, Side.SELL])
            away = D(rng.randrange(1, 80) * 10)
            price = D(60_000) - away if side is Side.BUY else D(60_000) + away
            venue.place_order("maker", OrderRequest(category, "BTCUSDT", side, OrderType.LIMIT, D("0.05"), price))
        await asyncio.sleep(0)
    # A bid at a price no state before had: a book equal to the last REST one is at the last seq, not earlier.
    best = engine.instrument.ticks_to_price(engine.best_bid() or 0)
    venue.place_order("maker", OrderRequest(category, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.07"), best + D("0.1")))
    rest = await _rest_book(http, wall_server, category.value)
    assert rest["u"] == rest["seq"] == engine.seq
    book = pro.orderbooks[symbol]
    await wait_for(
        lambda: (_levels(book["bids"][:50]), _levels(book["asks"][:50])) == (_levels(rest["b"]), _levels(rest["a"]))
    )
    assert float(rest["b"][0][0]) == float(best + D("0.1"))


def _ref(order: Order) -> OrderRef:
    return OrderRef(order.category, order.symbol, order.order_id)


async def test_watch_orders_and_my_trades_see_a_limit_order_rest_then_fill(
    pro: ccxtpro.bybit, wall_server: Served
) -> None:
    server = ws_server(wall_server)
    opened = asyncio.create_task(pro.watch_orders("BTC/USDT"))
    await wait_for(lambda: server.private.subscribers("trader-1", "order") == 1)
    placed = await pro.create_order("BTC/USDT", "limit", "buy", 0.01, 59_995, {"clientOrderId": "ws-1"})
    (update,) = await asyncio.wait_for(opened, 10)
    assert (update["id"], update["clientOrderId"], update["status"], update["price"]) == (
        placed["id"],
        "ws-1",
        "open",
        59995.0,
    )
    filled = asyncio.create_task(pro.watch_orders("BTC/USDT"))
    fills = asyncio.create_task(pro.watch_my_trades("BTC/USDT"))
    await wait_for(lambda: server.private.subscribers("trader-1", "execution") == 1)
    wall_server.venue.place_order(
        "maker", OrderRequest(Category.SPOT, "BTCUSDT", Side.SELL, OrderType.MARKET, D("0.01"))
    )
    (done,) = await asyncio.wait_for(filled, 10)
    (trade,) = await asyncio.wait_for(fills, 10)
    assert (done["id"], done["status"], done["filled"], done["remaining"]) == (placed["id"], "closed", 0.01, 0.0)
    assert (trade["order"], trade["side"], trade["price"], trade["amount"]) == (placed["id"], "buy", 59995.0, 0.01)
    assert trade["takerOrMaker"] == "maker" and trade["fee"]["currency"] == "BTC"


async def test_watch_orders_sees_a_cancel(pro: ccxtpro.bybit, wall_server: Served) -> None:
    server = ws_server(wall_server)
    opened = asyncio.create_task(pro.watch_orders("BTC/USDT:USDT"))
    await wait_for(lambda: server.private.subscribers("trader-1", "order") == 1)
    placed = await pro.create_order("BTC/USDT:USDT", "limit", "sell", 0.01, 61_000)
    assert (await asyncio.wait_for(opened, 10))[0]["status"] == "open"
    cancelled = asyncio.create_task(pro.watch_orders("BTC/USDT:USDT"))
    await pro.cancel_order(placed["id"], "BTC/USDT:USDT")
    (update,) = await asyncio.wait_for(cancelled, 10)
    assert (update["id"], update["status"], update["filled"]) == (placed["id"], "canceled", 0.0)


async def test_watch_positions_and_balance_follow_a_linear_fill(pro: ccxtpro.bybit, wall_server: Served) -> None:
    server = ws_server(wall_server)
    assert await pro.watch_positions(["BTC/USDT:USDT"]) == []  # ccxt.pro's REST snapshot: flat
    positions = asyncio.create_task(pro.watch_positions(["BTC/USDT:USDT"]))
    balance = asyncio.create_task(pro.watch_balance())
    await wait_for(lambda: server.private.subscribers("trader-1", "position") == 1)
    await wait_for(lambda: server.private.subscribers("trader-1", "wallet") == 1)
    await pro.create_order("BTC/USDT:USDT", "market", "buy", 0.02)
    (position,) = await asyncio.wait_for(positions, 10)
    assert (position["symbol"], position["side"], position["contracts"], position["entryPrice"]) == (
        "BTC/USDT:USDT", "long", 0.02, 60010.0,
    )  # fmt: skip
    wallet = await asyncio.wait_for(balance, 10)
    usdt = wall_server.venue.wallet_view("trader-1").coin("USDT")
    assert usdt is not None and wallet["USDT"]["total"] == float(usdt.balance) < 100_000


async def test_a_wrong_secret_fails_with_authentication_error(wall_server: Served) -> None:
    client = ccxt_pro_client(wall_server, "trader-1")
    try:
        await client.load_markets()
        await client.isUnifiedEnabled()  # the REST account probes pass; only the WebSocket auth will be wrong
        client.secret = "not-the-secret"
        with pytest.raises(AuthenticationError, match="signature verification failed"):
            await asyncio.wait_for(client.watch_orders(), 10)
    finally:
        await client.close()
