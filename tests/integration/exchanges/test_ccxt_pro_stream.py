"""The generic ccxt.pro market stream (what every non-Bybit ccxt exchange uses), driven here through ccxt.pro's
bybit class against the sim server: the local book stays equal to the REST book across a dropped connection,
and trades arrive as exact Decimals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from bybit_support import Served
from ws_support import ws_server

from support import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt.client import build_client
from tradewind.adapters.exchanges.ccxt.pro_stream import CcxtProStream
from tradewind.adapters.exchanges.settings import ExchangeSettings
from tradewind.application.marketdata.service import MarketDataService, MarketDataSettings
from tradewind.application.ports.bus import Message
from tradewind.application.venue import OrderRequest
from tradewind.domain.market import InstrumentRef, trade_from_payload
from tradewind.domain.values import Category, OrderType, Side

pytestmark = pytest.mark.integration
D = Decimal
REF = InstrumentRef("pro", Category.LINEAR, "BTCUSDT", "btc-spread")


@pytest.fixture
async def service(sim_server: Served) -> AsyncIterator[MarketDataService]:
    entry = ExchangeSettings.model_validate(
        {"type": "bybit", "env": "sim-server", "url": sim_server.url, "api": "unified"}
    )
    stream = CcxtProStream(lambda: build_client(entry, None, pro=True))
    bus = InMemoryBus()
    await bus.start()
    service = MarketDataService(bus, WallClock(), {"pro": stream}, MarketDataSettings(reconnect_min_s=0.01))
    service.bus = bus  # type: ignore[attr-defined]
    try:
        yield service
    finally:
        await service.close()
        await stream.close()
        await bus.close()


async def _rest_book(served: Served) -> tuple[list[tuple[D, D]], list[tuple[D, D]]]:
    url = f"{served.url}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        result: dict[str, Any] = (await resp.json())["result"]
    return [(D(p), D(q)) for p, q in result["b"]], [(D(p), D(q)) for p, q in result["a"]]


def _order(served: Served, side: Side, price: str | None, qty: str = "0.05", key: str = "maker") -> None:
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    request = OrderRequest(Category.LINEAR, "BTCUSDT", side, kind, D(qty), None if price is None else D(price))
    served.venue.place_order(key, request)


async def _in_step(service: MarketDataService, served: Served) -> None:
    bids, asks = await _rest_book(served)

    def equal() -> bool:
        book = service.book(REF)
        return book is not None and (list(book.bids), list(book.asks)) == (bids, asks)

    await wait_for(equal)


async def test_book_follows_the_venue_through_a_dropped_connection(
    sim_server: Served, service: MarketDataService
) -> None:
    await service.subscribe(REF, 50)

    def status() -> Any:
        (s,) = service.subscriptions()
        return s

    await wait_for(lambda: status().synced)
    _order(sim_server, Side.BUY, "59995.5")
    _order(sim_server, Side.SELL, "60004.5")
    await _in_step(service, sim_server)
    for session in ws_server(sim_server).sessions():
        await session.close()
    await wait_for(lambda: status().resyncs >= 1 and status().synced)
    for i in range(6):
        _order(sim_server, Side.BUY if i % 2 else Side.SELL, str(60_000 + (i - 3) * 3 + (1 if i % 2 else -1)))
        await asyncio.sleep(0)
    await _in_step(service, sim_server)


async def test_trades_arrive_with_exact_prices_and_sizes(sim_server: Served, service: MarketDataService) -> None:
    trades: list[Message] = []

    async def on_trade(message: Message) -> None:
        trades.append(message)

    await service.bus.subscribe("md.trade.pro.linear.BTCUSDT", on_trade)  # type: ignore[attr-defined]
    await service.subscribe(REF, 50)
    await wait_for(lambda: service.subscriptions()[0].synced)
    await asyncio.sleep(0.2)  # the trade channel subscribes alongside the book
    _order(sim_server, Side.BUY, None, qty="0.003", key="trader-1")  # lifts the best ask, 60 010
    await wait_for(lambda: len(trades) >= 1)
    tick = trade_from_payload(trades[0].payload)
    assert (tick.ref, tick.price, tick.qty, tick.taker_side) == (REF, D("60010"), D("0.003"), Side.BUY)
