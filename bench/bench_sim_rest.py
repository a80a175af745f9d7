"""REST order round trip against the Bybit-protocol simulator over loopback: p50 / p99 latency.

Run: ``.venv/bin/python -m bench.bench_sim_rest`` (or ``python bench/bench_sim_rest.py``).
The server runs in this process on 127.0.0.1 (aiohttp, WallClock, rate limits off) with a seeded book;
each order is one signed ``POST /v5/order/create`` of a resting spot limit buy, sent one at a time
(a round trip = sign + send + auth + validate + lock + match + reply + parse). The same is measured
through ccxt's async bybit client, whose own overhead is part of what users see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aiohttp
import ccxt.async_support as ccxt
from pydantic import SecretStr

from tradewind.adapters.clock import WallClock
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.binance_spot import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.auth import sign_request

KEY, SECRET = "bench-key", "bench-secret"


def seeded_venue(orders: int) -> SimVenue:
    """One rich account, room for ``orders`` resting orders, and asks above 60 000 to rest beside."""
    account = AccountSettings(
        api_key=KEY, api_secret=SecretStr(SECRET), balances={"USDT": Decimal(10) ** 12, "BTC": Decimal(10_000)}
    )
    settings = VenueSettings(accounts=(account,), max_open_orders=orders * 3 + 100)
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], WallClock(), settings)
    for i in range(20):  # a book to rest beside: asks above 60 000
        ask = OrderRequest(Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal(1), Decimal(60_000 + 10 * i))
        venue.place_order(KEY, ask)
    return venue


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50 * 1000, p99 * 1000, len(samples) / sum(samples)


async def _time_calls(n: int, warmup: int, call: Callable[[int], Awaitable[None]]) -> list[float]:
    for i in range(warmup):
        await call(-1 - i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - start)
    return samples


async def _run(n: int, warmup: int) -> None:
    venue = seeded_venue(n + warmup)
    # Bybit's face alone, as measured in docs/benchmarks.md
    bybit_only = BinanceSpotSettings(enabled=False)
    settings = SimExchangeSettings(port=0, rate_limits=RateLimitSettings(enabled=False), binance=bybit_only)
    runner, port = await start_server(create_sim_exchange_app(venue, settings), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def raw(i: int) -> None:
                price = Decimal(500_000 + i % 5_000) / 10  # distinct resting prices, on the 0.1 tick
                order = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit"}
                body = json.dumps({**order, "qty": "0.001", "price": str(price)}, separators=(",", ":"))
                ts = time.time_ns() // 1_000_000
                headers = {
                    "X-BAPI-API-KEY": KEY,
                    "X-BAPI-TIMESTAMP": str(ts),
                    "X-BAPI-RECV-WINDOW": "5000",
                    "X-BAPI-SIGN": sign_request(SECRET, KEY, ts, body),
                    "Content-Type": "application/json",
                }
                async with http.post(url + "/v5/order/create", data=body, headers=headers) as resp:
                    reply = await resp.json()
                if reply["retCode"] != 0:
                    raise RuntimeError(f"order refused: {reply}")

            raw_samples = await _time_calls(n, warmup, raw)
        client = ccxt.bybit({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False})
        client.urls["api"] = {name: url for name in ("spot", "futures", "v2", "public", "private")}
        try:
            await client.load_markets()

            async def via_ccxt(i: int) -> None:
                # ccxt takes floats; it turns them into strings on the tick before they leave
                await client.create_order("BTC/USDT", "limit", "buy", 0.001, 40_000 + (i % 5_000) / 10)

            ccxt_samples = await _time_calls(n, warmup, via_ccxt)
        finally:
            await client.close()
    finally:
        await runner.cleanup()
    print(f"orders: {n:,} per client (after {warmup} warm-up), one in flight, Python {sys.version.split()[0]}")
    for name, samples in (("aiohttp client, signed POST", raw_samples), ("ccxt.async_support.bybit", ccxt_samples)):
        p50, p99, rate = _percentiles(samples)
        mean = statistics.fmean(samples) * 1000
        print(f"{name:<30} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   mean {mean:6.2f} ms   {rate:8,.0f} orders/s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.orders, args.warmup))


if __name__ == "__main__":
    main()
