"""A symbol added in YAML only (SOLUSDT spot and perpetual) is simulated, served and traded with ccxt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import ccxt.async_support as ccxt
import pytest

from tests.support.bybit_server import Served, ccxt_client, serve
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.venue import OrderRequest
from tradewind.bootstrap.simulator import market_and_venue
from tradewind.domain.values import Category, OrderType, Side
from tradewind.settings import load_settings

D = Decimal

CONFIG = """
simulator:
  markets:
    - {category: spot, symbol: SOLUSDT}
    - {category: linear, symbol: SOLUSDT}
  instruments:
    - {category: spot, symbol: SOLUSDT, base: SOL, tick_size: "0.01", qty_step: "0.001", min_qty: "0.001",
       max_qty: "20000", min_notional: "5"}
    - {category: linear, symbol: SOLUSDT, base: SOL, tick_size: "0.01", qty_step: "0.1", min_qty: "0.1",
       max_qty: "50000", min_notional: "5"}
  assets:
    SOL: {initial_price: 150}
venue:
  accounts:
    - {api_key: maker, api_secret: maker-secret, balances: {USDT: "10000000", SOL: "100000"}}
    - {api_key: trader-1, api_secret: trader-1-secret, balances: {USDT: "100000"}}
"""


@pytest.fixture
async def sol_server(tmp_path: Path) -> AsyncIterator[Served]:
    path = tmp_path / "tradewind.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(path)
    clock = WallClock()
    _, venue = market_and_venue(settings, clock, InMemoryBus())  # the simulator's engines, as `tradewind run`
    for category in (Category.SPOT, Category.LINEAR):
        for i in range(3):
            for side, price in ((Side.SELL, D("150.05") + i), (Side.BUY, D("149.95") - i)):
                request = OrderRequest(category, "SOLUSDT", side, OrderType.LIMIT, D("100"), price)
                venue.place_order("maker", request)
    served = await serve(clock, venue=venue)
    yield served
    await served.runner.cleanup()


async def test_ccxt_loads_the_yaml_instrument_and_trades_it_spot_and_perp(sol_server: Served) -> None:
    client = ccxt_client(sol_server.url, "trader-1")
    try:
        await client.load_markets()
        assert {"SOL/USDT", "SOL/USDT:USDT"} <= set(client.markets)
        assert "BTC/USDT" not in client.markets  # only the configured markets are served
        perp = client.markets["SOL/USDT:USDT"]
        assert (perp["precision"]["price"], perp["precision"]["amount"], perp["limits"]["amount"]["min"]) == (
            0.01,
            0.1,
            0.1,
        )
        await client.create_order("SOL/USDT:USDT", "market", "buy", 2.5)
        (position,) = [p for p in await client.fetch_positions(["SOL/USDT:USDT"]) if p["contracts"]]
        assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 2.5, 150.05)
        await client.create_order("SOL/USDT", "limit", "buy", 1.234, 149.5)
        (order,) = await client.fetch_open_orders("SOL/USDT")
        assert (order["amount"], order["price"]) == (1.234, 149.5)
        with pytest.raises(ccxt.InvalidOrder):  # below the YAML lot and minimum (0.1), refused
            await client.create_order("SOL/USDT:USDT", "limit", "buy", 0.05, 140, {"timeInForce": "GTC"})
    finally:
        await client.close()
