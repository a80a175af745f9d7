"""The market-data collector through the sim-exchange's stream faults: it sees the gap (or the disconnect),
resynchronises from a fresh snapshot, counts it in ``resyncs`` and in Prometheus, and ends equal to the venue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, serve
from tests.support.faults import put_faults
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt.bybit_ws import BybitPublicStream
from tradewind.adapters.exchanges.factory import build_market_streams
from tradewind.adapters.exchanges.settings import ExchangesSettings
from tradewind.adapters.metrics import ServiceMetrics
from tradewind.application.marketdata.service import MarketDataService, MarketDataSettings
from tradewind.application.venue import OrderRequest
from tradewind.domain.market import InstrumentRef
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.bybit_v5 import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults.admin import FAULTS

D = Decimal
REF = InstrumentRef("bybit", Category.LINEAR, "BTCUSDT", "btc")
TOPIC = "orderbook.50.BTCUSDT"


@pytest.fixture
async def contiguous_server() -> AsyncIterator[Served]:
    """The seeded server numbering each book stream's ``u`` one by one, as Bybit does, so a lost delta shows."""
    served = await serve(WallClock(), websocket=WebSocketSettings(book_u_contiguous=True))
    yield served
    await served.runner.cleanup()


def _quote(served: Served, side: Side, price: str) -> None:
    request = OrderRequest(Category.LINEAR, "BTCUSDT", side, OrderType.LIMIT, D("0.05"), D(price))
    served.venue.place_order("maker", request)


def _venue_book(served: Served) -> tuple[list[tuple[D, D]], list[tuple[D, D]]]:
    engine = served.venue.engine(Category.LINEAR, "BTCUSDT")
    snap, inst = engine.snapshot(50), engine.instrument
    return (
        [(inst.ticks_to_price(p), inst.lots_to_qty(q)) for p, q in snap.bids],
        [(inst.ticks_to_price(p), inst.lots_to_qty(q)) for p, q in snap.asks],
    )


@pytest.mark.parametrize("kind", ["drop_delta", "reorder_delta", "disconnect"])
async def test_the_collector_resyncs_after_a_stream_fault_counts_it_and_ends_equal_to_the_venue(
    contiguous_server: Served, bus: InMemoryBus, kind: str
) -> None:
    served = contiguous_server
    metrics = ServiceMetrics("market-data")
    # As configured: a sim-server entry saying its server numbers ``u`` one by one checks for holes.
    entry = {"type": "bybit", "env": "sim-server", "url": served.url, "book_u_contiguous": True}
    exchanges = ExchangesSettings.model_validate({"default": "bybit", "entries": {"bybit": entry}})
    stream = build_market_streams(exchanges)["bybit"]
    assert isinstance(stream, BybitPublicStream)
    settings = MarketDataSettings(reconnect_min_s=0.01)
    service = MarketDataService(bus, WallClock(), {"bybit": stream}, settings, metrics=metrics)

    def status() -> Any:
        (s,) = service.subscriptions()
        return s

    async with aiohttp.ClientSession() as http:
        await service.subscribe(REF, 50)
        try:
            await wait_for(lambda: status().synced)
            await put_faults(http, served, [{"kind": kind, "route": TOPIC, "count": 1}], seed=5)
            plan = served.runner.app[FAULTS]
            for price in range(59_991, 59_999):  # each quote is one delta; the first one pushed meets the fault
                updates = status().updates
                _quote(served, Side.BUY, str(price))
                await wait_for(lambda seen=updates: plan.rules[0].fired == 1 or status().updates > seen)
                if plan.rules[0].fired:
                    break
            assert plan.rules[0].fired == 1
            _quote(served, Side.SELL, "60005")  # the delta after the hole (or the reordered pair) shows the gap
            await wait_for(lambda: status().resyncs == 1 and status().synced)
            _quote(served, Side.SELL, "60006")

            def equal_to_the_venue() -> bool:
                book = service.book(REF)
                return book is not None and (list(book.bids), list(book.asks)) == _venue_book(served)

            await wait_for(equal_to_the_venue)
        finally:
            await service.close()
    assert status_resyncs(metrics) == 1
    exposition = metrics.exposition()[0].decode()
    assert 'tradewind_md_resyncs_total{category="linear",exchange="bybit",symbol="BTCUSDT"} 1.0' in exposition


def status_resyncs(metrics: ServiceMetrics) -> int:
    return int(metrics.md_resyncs.labels("bybit", "linear", "BTCUSDT")._value.get())
