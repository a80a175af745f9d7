"""The account's funding from Bybit's transaction log over loopback: more SETTLEMENT rows than a page (50) and a
longer span than one request may ask (7 days), all read back exactly as the venue booked them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bybit_server import Served, seed_books, serve, venue_settings
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.ccxt import BybitV5Gateway
from tradewind.application.venue import OrderRequest, SimVenue, TransactionType
from tradewind.application.venue.settings import PerpSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import ccxt_gateway

HOURS = 9 * 24 + 5  # hourly settlements over more than one 7-day window, far more than one page
HOUR_S = 3_600


@pytest.fixture
async def settled() -> AsyncIterator[Served]:
    """trader-1 holds 0.1 BTCUSDT perp while the venue settles funding every hour for HOURS hours, on a simulated
    clock that ends at the wall clock's now (signed calls are checked against the server's time)."""
    clock = SimClock(time.time_ns() - (HOURS + 1) * HOUR_S * 10**9)
    settings = venue_settings().model_copy(update={"perp": PerpSettings(funding_interval_hours=1)})
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], clock, settings)
    seed_books(venue)
    venue.place_order("trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.1")))
    venue.place_order("trader-2", OrderRequest(Category.LINEAR, "ETHUSDT", Side.SELL, OrderType.MARKET, Decimal(1)))
    for _ in range(HOURS + 1):
        venue.tick()
        await clock.advance(HOUR_S)
    served = await serve(clock, venue=venue)
    yield served
    await served.runner.cleanup()


def _booked(venue: SimVenue, key: str) -> list[tuple[str, str, Decimal, int]]:
    account = venue.account(key)
    assert account is not None
    rows = [t for t in account.transactions if t.type is TransactionType.SETTLEMENT]
    return [(t.transaction_id, t.symbol, t.funding, t.ts_ms * 1_000_000) for t in rows]


async def test_every_settlement_comes_back_once_over_pages_and_windows(settled: Served) -> None:
    clock = settled.venue.clock
    assert isinstance(clock, SimClock)
    booked = _booked(settled.venue, "trader-1")
    assert len(booked) >= HOURS - 1 and booked[-1][3] - booked[0][3] > 7 * 24 * HOUR_S * 10**9
    gateway = ccxt_gateway(settled.url)
    assert isinstance(gateway, BybitV5Gateway)
    await clock.advance_to(max(clock.now_ns(), time.time_ns()))  # the server's time is the wall's again
    try:
        every = await gateway.fetch_funding(booked[0][3])
        later = await gateway.fetch_funding(booked[100][3], "BTCUSDT")
        none = await gateway.fetch_funding(booked[0][3], "ETHUSDT")  # trader-2's position, not this account's
    finally:
        await gateway.close()

    assert [(p.funding_id, p.symbol, p.amount, p.ts_ns) for p in every] == booked  # exact, oldest first, once
    assert all(p.amount < 0 and p.exchange == gateway.name and p.category is Category.LINEAR for p in every)
    assert [p.funding_id for p in later] == [b[0] for b in booked[100:]]
    assert none == []
