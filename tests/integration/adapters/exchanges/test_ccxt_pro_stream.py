"""The generic ccxt.pro market stream (what every non-Bybit ccxt exchange uses), driven through ccxt.pro's binance
class (the sim server's Binance spot face) and its bybit class: the local book stays equal to the REST book across
a dropped connection, and trades arrive as exact Decimals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served
from tests.support.bybit_ws import ws_server
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.ccxt.pro_stream import CcxtProStream
from tradewind.adapters.exchanges.settings import ExchangeSettings
from tradewind.application.marketdata.service import MarketDataService, MarketDataSettings
from tradewind.application.ports.bus import Message
from tradewind.application.venue import MarketUnit, OrderRequest
from tradewind.domain.market import InstrumentRef, trade_from_payload
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.binance_spot.app import BINANCE

D = Decimal
VENUES = {"binance": Category.SPOT, "bybit": Category.LINEAR}
Book = tuple[list[tuple[D, D]], list[tuple[D, D]]]


@pytest.fixture(params=sorted(VENUES))
def ref(request: pytest.FixtureRequest) -> InstrumentRef:
    return InstrumentRef(request.param, VENUES[request.param], "BTCUSDT", "btc-spread")


@pytest.fixture
async def service(sim_server: Served, ref: InstrumentRef, bus: InMemoryBus) -> AsyncIterator[MarketDataService]:
    fields = {"type": ref.exchange, "env": "sim-server", "url": sim_server.url}
    if ref.exchange == "bybit":
        fields["api"] = "unified"  # the V5 gateway's entry would stream natively; here ccxt.pro is under test
    entry = ExchangeSettings.model_validate(fields)
    stream = CcxtProStream(lambda: build_client(entry, None, pro=True))
    service = MarketDataService(bus, WallClock(), {ref.exchange: stream}, MarketDataSettings(reconnect_min_s=0.01))
    try:
        yield service
    finally:
        await service.close()
        await stream.close()


async def _rest_book(served: Served, ref: InstrumentRef) -> Book:
    """The venue's own REST book, in the protocol the stream speaks."""
    async with aiohttp.ClientSession() as http:
        if ref.exchange == "binance":
            async with http.get(f"{served.url}/api/v3/depth?symbol=BTCUSDT&limit=50") as resp:
                body: dict[str, Any] = await resp.json()
            bids, asks = body["bids"], body["asks"]
        else:
            url = f"{served.url}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50"
            async with http.get(url) as resp:
                result: dict[str, Any] = (await resp.json())["result"]
            bids, asks = result["b"], result["a"]
    return [(D(p), D(q)) for p, q in bids], [(D(p), D(q)) for p, q in asks]


def _order(
    served: Served, ref: InstrumentRef, side: Side, price: str | None, *, qty: str = "0.05", key: str = "maker"
) -> None:
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    unit = MarketUnit.BASE if kind is OrderType.MARKET and ref.category is Category.SPOT else None
    request = OrderRequest(
        ref.category, "BTCUSDT", side, kind, D(qty), None if price is None else D(price), market_unit=unit
    )
    served.venue.place_order(key, request)


async def _in_step(service: MarketDataService, served: Served, ref: InstrumentRef) -> None:
    bids, asks = await _rest_book(served, ref)

    def equal() -> bool:
        book = service.book(ref)
        return book is not None and (list(book.bids), list(book.asks)) == (bids, asks)

    await wait_for(equal)


async def _drop_connections(served: Served, ref: InstrumentRef) -> None:
    """The server closes every WebSocket of the protocol the stream speaks."""
    if ref.exchange == "binance":
        hub = served.runner.app[BINANCE].streams
        await asyncio.gather(*(session.close() for session in list(hub.sessions)))
        return
    for session in ws_server(served).sessions():
        await session.close()


async def test_book_follows_the_venue_through_a_dropped_connection(
    sim_server: Served, service: MarketDataService, ref: InstrumentRef
) -> None:
    await service.subscribe(ref, 50)

    def status() -> Any:
        (s,) = service.subscriptions()
        return s

    await wait_for(lambda: status().synced)
    _order(sim_server, ref, Side.BUY, "59995.5")
    _order(sim_server, ref, Side.SELL, "60004.5")
    await _in_step(service, sim_server, ref)
    await _drop_connections(sim_server, ref)
    await wait_for(lambda: status().resyncs >= 1 and status().synced)
    for i in range(6):
        _order(sim_server, ref, Side.BUY if i % 2 else Side.SELL, str(60_000 + (i - 3) * 3 + (1 if i % 2 else -1)))
        await asyncio.sleep(0)
    await _in_step(service, sim_server, ref)


async def test_trades_arrive_with_exact_prices_and_sizes(
    sim_server: Served, service: MarketDataService, ref: InstrumentRef, bus: InMemoryBus
) -> None:
    trades: list[Message] = []

    async def on_trade(message: Message) -> None:
        trades.append(message)

    await bus.subscribe(ref.topic("trade"), on_trade)
    await service.subscribe(ref, 50)
    await wait_for(lambda: service.subscriptions()[0].synced)
    await asyncio.sleep(0.2)  # the trade channel subscribes alongside the book
    _order(sim_server, ref, Side.BUY, None, qty="0.003", key="trader-1")  # lifts the best ask, 60 010
    await wait_for(lambda: len(trades) >= 1)
    tick = trade_from_payload(trades[0].payload)
    assert (tick.ref, tick.price, tick.qty, tick.taker_side) == (ref, D("60010"), D("0.003"), Side.BUY)
