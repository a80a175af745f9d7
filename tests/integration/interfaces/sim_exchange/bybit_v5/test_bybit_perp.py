"""Perpetual fields over the wire: ccxt reads funding rate, mark and index, funding history; the transaction log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import ccxt.async_support as ccxt
import pytest

from tests.support.bybit_server import Served, signed
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
EIGHT_HOURS_S = 8 * 3600


@pytest.fixture
async def public_client(frozen_server: Served) -> AsyncIterator[ccxt.bybit]:
    """ccxt without keys: public calls carry no timestamp, so the server's simulated clock does not matter."""
    ex = ccxt.bybit({"enableRateLimit": False, "options": {"fetchMarkets": {"types": ["spot", "linear"]}}})
    ex.urls["api"] = {name: frozen_server.url for name in ("spot", "futures", "v2", "public", "private")}
    try:
        await ex.load_markets()
        yield ex
    finally:
        await ex.close()


async def _one_funding(served: Served) -> int:
    """Tick, then a whole interval later tick again: one settlement at the start + 8 h."""
    clock = served.venue.clock
    assert isinstance(clock, SimClock)
    served.venue.tick()
    start = clock.now_ms()
    await clock.advance(EIGHT_HOURS_S)
    served.venue.tick()
    return start + EIGHT_HOURS_S * 1000


async def test_ccxt_sees_funding_rate_mark_index_and_next_funding_time(
    frozen_server: Served, public_client: ccxt.bybit
) -> None:
    frozen_server.venue.tick()
    rate = await public_client.fetch_funding_rate("BTC/USDT:USDT")
    # The seeded books quote 59 990 / 60 010 on both markets: index 60 000, no premium, rate = interest 0.01 %.
    assert rate["fundingRate"] == 0.0001
    assert rate["indexPrice"] == 60000.0
    assert rate["markPrice"] == float(frozen_server.venue.mark_price("BTCUSDT"))  # type: ignore[arg-type]
    assert rate["fundingTimestamp"] == frozen_server.venue.next_funding_time("BTCUSDT")
    assert rate["interval"] == "8h"


async def test_ccxt_reads_the_funding_history(frozen_server: Served, public_client: ccxt.bybit) -> None:
    settled_at = await _one_funding(frozen_server)
    history = await public_client.fetch_funding_rate_history("BTC/USDT:USDT")
    assert [(h["symbol"], h["fundingRate"], h["timestamp"]) for h in history] == [("BTC/USDT:USDT", 0.0001, settled_at)]


async def test_the_transaction_log_shows_the_settlement_of_a_position(frozen_server: Served) -> None:
    venue = frozen_server.venue
    venue.place_order("trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.1")))
    settled_at = await _one_funding(frozen_server)
    async with aiohttp.ClientSession() as session:
        status, body, _ = await signed(
            session, frozen_server, "GET", "/v5/account/transaction-log", {"category": "linear", "type": "SETTLEMENT"}
        )
    assert status == 200 and body["retCode"] == 0
    (row,) = body["result"]["list"]
    # Mark at settlement: median(60 000, index + basis 0, last 60 010) = 60 000; 0.1 x 60 000 x 0.0001 = 0.6 paid.
    assert (row["type"], row["symbol"], row["side"], row["size"]) == ("SETTLEMENT", "BTCUSDT", "Buy", "0.1")
    assert (row["funding"], row["change"], row["feeRate"], row["tradePrice"]) == ("-0.6", "-0.6", "0.0001", "60000")
    assert row["transactionTime"] == str(settled_at)
    # 100 000 - the taker fee 6 001 x 0.00055 - the funding 0.6
    assert row["cashBalance"] == "99996.09945"
    assert D(row["cashBalance"]) == venue.wallet_view("trader-1").coin("USDT").balance  # type: ignore[union-attr]


async def test_funding_history_of_an_unknown_symbol_is_a_clear_error(frozen_server: Served) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{frozen_server.url}/v5/market/funding/history?category=linear&symbol=NOPEUSDT") as resp,
    ):
        body = await resp.json()
    assert body["retCode"] != 0 and "NOPEUSDT" in body["retMsg"]
