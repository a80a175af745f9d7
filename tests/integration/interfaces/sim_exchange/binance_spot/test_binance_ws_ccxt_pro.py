"""ccxt.pro's binance client on the Binance streams: order book sync by its own recipe, trades, tickers."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from tests.support.bybit_server import Served
from tradewind.application.venue import MarketUnit, OrderRequest
from tradewind.domain.values import Category, OrderType, Side

from .binance_support import TIMEOUT, ccxt_pro_binance, face

D = Decimal


@pytest.fixture
async def pro(wall_server: Served) -> AsyncIterator[ccxtpro.binance]:
    client = ccxt_pro_binance(wall_server)
    try:
        await client.load_markets()
        yield client
    finally:
        await client.close()


def _order(side: Side, kind: OrderType, qty: str, price: str | None = None) -> OrderRequest:
    unit = MarketUnit.BASE if kind is OrderType.MARKET else None
    return OrderRequest(Category.SPOT, "BTCUSDT", side, kind, D(qty), D(price) if price else None, market_unit=unit)


def _engine_book(served: Served, symbol: str) -> tuple[list[list[float]], list[list[float]]]:
    """The engine's whole book as ccxt.pro holds it (floats of the exact prices and sizes)."""
    engine = served.venue.engine(Category.SPOT, symbol)
    inst, snap = engine.instrument, engine.snapshot()
    side = lambda levels: [[float(inst.ticks_to_price(p)), float(inst.lots_to_qty(q))] for p, q in levels]  # noqa: E731
    return side(snap.bids), side(snap.asks)


async def _book_at(pro: ccxtpro.binance, symbol: str, nonce: int) -> Any:
    async def wait() -> Any:
        while True:
            book = await pro.watch_order_book(symbol)
            if book["nonce"] >= nonce:
                return book

    return await asyncio.wait_for(wait(), TIMEOUT)


async def test_watch_order_book_follows_every_change(pro: ccxtpro.binance, wall_server: Served) -> None:
    venue = wall_server.venue
    book = await pro.watch_order_book("BTC/USDT")
    assert book["nonce"] == 10
    assert (book["bids"], book["asks"]) == _engine_book(wall_server, "BTCUSDT")
    steps = [
        ("maker", _order(Side.BUY, OrderType.LIMIT, "0.5", "59995")),
        ("trader-1", _order(Side.BUY, OrderType.MARKET, "1.2")),
        ("maker", _order(Side.SELL, OrderType.LIMIT, "2", "60015")),
        ("trader-2", _order(Side.SELL, OrderType.MARKET, "0.75")),
    ]
    for key, request in steps:
        venue.place_order(key, request)
        book = await _book_at(pro, "BTC/USDT", venue.engine(Category.SPOT, "BTCUSDT").seq)
        assert book["nonce"] == venue.engine(Category.SPOT, "BTCUSDT").seq
        assert (book["bids"], book["asks"]) == _engine_book(wall_server, "BTCUSDT")


async def test_two_books_on_one_connection(pro: ccxtpro.binance, wall_server: Served) -> None:
    btc, eth = await asyncio.gather(pro.watch_order_book("BTC/USDT"), pro.watch_order_book("ETH/USDT"))
    assert (btc["asks"][0], eth["asks"][0]) == ([60010.0, 1.0], [3001.0, 10.0])
    wall_server.venue.place_order(
        "maker", OrderRequest(Category.SPOT, "ETHUSDT", Side.SELL, OrderType.LIMIT, D("3"), D("3000.5"))
    )
    eth = await _book_at(pro, "ETH/USDT", wall_server.venue.engine(Category.SPOT, "ETHUSDT").seq)
    assert eth["asks"][0] == [3000.5, 3.0]
    assert face(wall_server).streams.subscribers("ethusdt@depth@100ms") == 1


async def test_watch_trades_and_ticker(pro: ccxtpro.binance, wall_server: Served) -> None:
    pending = asyncio.ensure_future(pro.watch_trades("BTC/USDT"))
    await asyncio.wait_for(_subscribed(wall_server, "btcusdt@trade"), TIMEOUT)
    wall_server.venue.place_order("trader-1", _order(Side.SELL, OrderType.MARKET, "0.3"))
    trades = await asyncio.wait_for(pending, TIMEOUT)
    assert [(t["id"], t["price"], t["amount"], t["side"]) for t in trades] == [("1", 59990.0, 0.3, "sell")]
    ticker = await asyncio.wait_for(pro.watch_ticker("BTC/USDT"), TIMEOUT)
    assert (ticker["symbol"], ticker["last"], ticker["baseVolume"]) == ("BTC/USDT", 59990.0, 0.3)


async def _subscribed(served: Served, stream: str) -> None:
    while face(served).streams.subscribers(stream) == 0:  # noqa: ASYNC110 -- the server has no hook for this
        await asyncio.sleep(0.001)
