"""A book subscription through the Bybit stream stays equal to the REST book across a dropped connection
and a forced sequence gap."""

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
from tradewind.adapters.exchanges.ccxt.bybit_ws import BybitPublicStream
from tradewind.application.marketdata.service import MarketDataService, MarketDataSettings
from tradewind.application.ports.bus import Message
from tradewind.application.venue import OrderRequest
from tradewind.domain.market import InstrumentRef, book_from_payload
from tradewind.domain.values import Category, OrderType, Side

from .ws_proxy import RenumberingProxy

D = Decimal
REF = InstrumentRef("bybit", Category.LINEAR, "BTCUSDT", "btc-spread")


@pytest.fixture
async def proxy(sim_server: Served) -> AsyncIterator[RenumberingProxy]:
    proxy = RenumberingProxy(sim_server.url.replace("http://", "ws://"))
    await proxy.start()
    yield proxy
    await proxy.close()


async def _rest_book(served: Served) -> tuple[list[tuple[D, D]], list[tuple[D, D]], int]:
    url = f"{served.url}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        result: dict[str, Any] = (await resp.json())["result"]
    return [(D(p), D(q)) for p, q in result["b"]], [(D(p), D(q)) for p, q in result["a"]], int(result["seq"])


def _quote(served: Served, side: Side, price: str, qty: str = "0.05") -> None:
    request = OrderRequest(Category.LINEAR, "BTCUSDT", side, OrderType.LIMIT, D(qty), D(price))
    served.venue.place_order("maker", request)


async def test_book_survives_disconnect_and_gap_and_ends_equal_to_a_fresh_rest_snapshot(
    sim_server: Served, proxy: RenumberingProxy, bus: InMemoryBus
) -> None:
    books: list[Message] = []

    async def on_book(message: Message) -> None:
        books.append(message)

    await bus.subscribe("md.book.bybit.linear.BTCUSDT", on_book)
    stream = BybitPublicStream(lambda c: f"{proxy.url}/v5/public/{c.value}", contiguous_u=True)
    service = MarketDataService(bus, WallClock(), {"bybit": stream}, MarketDataSettings(reconnect_min_s=0.01))
    await service.subscribe(REF, 50)

    def status() -> Any:
        (s,) = service.subscriptions()
        return s

    try:
        await wait_for(lambda: status().synced)
        # A forced gap: one delta never arrives, the next one's u shows the hole.
        proxy.drop_next_delta = True
        _quote(sim_server, Side.BUY, "59995")
        await wait_for(lambda: proxy.dropped == 1)
        _quote(sim_server, Side.SELL, "60005")
        await wait_for(lambda: status().resyncs == 1 and status().synced)
        # A forced disconnect: the server closes every connection.
        for session in ws_server(sim_server).sessions():
            await session.close()
        await wait_for(lambda: status().resyncs == 2 and status().synced)
        for i in range(10):
            _quote(sim_server, Side.BUY if i % 2 else Side.SELL, str(60_000 + (i - 5) * 3 + (1 if i % 2 else -1)))
            await asyncio.sleep(0)
        bids, asks, seq = await _rest_book(sim_server)

        def in_step() -> bool:
            book = service.book(REF)
            return book is not None and book.seq == seq and (list(book.bids), list(book.asks)) == (bids, asks)

        await wait_for(in_step)
    finally:
        await service.close()
    last = book_from_payload(books[-1].payload)
    assert last.ref == REF and last.seq == seq and list(last.bids) == bids
    assert not status_after(service)


def status_after(service: MarketDataService) -> list[object]:
    return list(service.subscriptions())


async def test_subscribing_an_unknown_exchange_is_refused_and_changes_nothing(bus: InMemoryBus) -> None:
    service = MarketDataService(bus, WallClock(), {})
    with pytest.raises(ValueError, match="no market-data stream for exchange 'bybit'"):
        await service.subscribe(REF)
    assert service.subscriptions() == []
