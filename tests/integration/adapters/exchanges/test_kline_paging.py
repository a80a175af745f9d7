"""Kline history longer than one page (1000 rows) over loopback: every gateway pages until it has them all."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bybit_server import Served, serve
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import MarketUnit, OrderRequest
from tradewind.domain.candles import MINUTE_MS
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import ccxt_gateway

D = Decimal
MINUTES = 1205  # more than a page on every venue


@pytest.fixture
async def traded() -> AsyncIterator[tuple[Served, SimClock, int]]:
    """One 0.001 BTC spot trade a minute for MINUTES minutes, alternately bought and sold, on a simulated clock
    that ends at the wall clock's now (signed calls are checked against the server's time)."""
    clock = SimClock(time.time_ns() - MINUTES * 60 * 10**9)
    served = await serve(clock)
    first = clock.now_ms() - clock.now_ms() % MINUTE_MS  # the first trade's minute
    for side in itertools.islice(itertools.cycle((Side.BUY, Side.SELL)), MINUTES):
        order = OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.MARKET, D("0.001"), market_unit=MarketUnit.BASE)
        served.venue.place_order("trader-2", order)
        await clock.advance(60)
    yield served, clock, first
    await served.runner.cleanup()


@pytest.mark.parametrize("kind", ["bybit-v5", "unified", "binance"])
async def test_more_candles_than_a_page_come_back_whole_and_in_order(
    traded: tuple[Served, SimClock, int], kind: str
) -> None:
    served, clock, first = traded
    gateway = ccxt_gateway(served.url, type="binance") if kind == "binance" else ccxt_gateway(served.url, api=kind)
    await clock.advance_to(max(clock.now_ns(), time.time_ns()))  # the server's time is the wall's again
    await gateway.load_instruments()
    try:
        every = await gateway.fetch_candles(Category.SPOT, "BTCUSDT", 1, end_ms=clock.now_ms(), limit=5000)
        newest = await gateway.fetch_candles(Category.SPOT, "BTCUSDT", 1, end_ms=clock.now_ms(), limit=1100)
        window = await gateway.fetch_candles(
            Category.SPOT, "BTCUSDT", 1, start_ms=first + 100 * MINUTE_MS, end_ms=first + 1149 * MINUTE_MS
        )
    finally:
        await gateway.close()

    assert [c.start_ms for c in every] == [first + i * MINUTE_MS for i in range(MINUTES)]
    assert all(c.volume == D("0.001") for c in every)
    assert [c.close for c in every[:2]] == [D(60010), D(59990)]  # the buy at the ask, the sell at the bid
    assert newest == every[-1100:]  # the newest ``limit``
    assert [c.start_ms for c in window] == [first + i * MINUTE_MS for i in range(100, 1150)][-200:]  # limit 200
