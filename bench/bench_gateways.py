"""``place_order`` through each ExchangeGateway against the sim-exchange on loopback: p50 / p99 and requests per order.

Run: ``.venv/bin/python -m bench.bench_gateways``. One server in this process (aiohttp, WallClock, Bybit rate limits
off) serves Bybit V5 and Binance spot over one venue. Each order is a resting spot limit buy, one in flight, through
the gateway's whole path: round to the grid, check filters, send, then read the order back (and, on the unified
path, look the client id up first, since Binance takes a used client id again once its order is closed). The
server counts the HTTP requests each gateway makes per order.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aiohttp import web
from pydantic import SecretStr

from bench.bench_sim_rest import KEY, SECRET, seeded_venue
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.domain.orders import OrderIntent
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings


def _counting(counts: Counter[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        counts["requests"] += 1
        return await handler(request)

    return middleware


async def _measure(gateway: ExchangeGateway, label: str, tag: str, *, n: int, warmup: int, counts: Counter[str]) -> str:
    await gateway.load_instruments()

    async def place(i: int) -> None:
        price = Decimal(400_000 + i % 50_000) / 10  # distinct resting prices on the 0.1 tick, below the asks
        cid = f"bench-{tag}-{i + warmup}"
        intent = OrderIntent(cid, tag, Category.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), price)
        await gateway.place_order(intent)

    for i in range(-warmup, 0):
        await place(i)
    counts.clear()
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await place(i)
        samples.append(time.perf_counter() - start)
    await gateway.close()
    ordered = sorted(samples)
    p50, p99 = ordered[n // 2] * 1000, ordered[min(n - 1, int(n * 0.99))] * 1000
    per_order = counts["requests"] / n
    mean = statistics.fmean(samples) * 1000
    return (
        f"{label:<28} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   mean {mean:6.2f} ms   {per_order:.1f} HTTP requests/order"
    )


async def _run(n: int, warmup: int) -> None:
    venue = seeded_venue(2 * (n + warmup))  # four gateways rest their orders on one account
    settings = SimExchangeSettings(
        port=0, rate_limits=RateLimitSettings(enabled=False), binance=BinanceSpotSettings(weight_limit=10**9)
    )
    app = create_sim_exchange_app(venue, settings)
    counts: Counter[str] = Counter()
    app.middlewares.insert(0, _counting(counts))
    runner, port = await start_server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    credentials = Credentials(SecretStr(KEY), SecretStr(SECRET))
    clock = WallClock()

    def entry(**fields: object) -> ExchangeSettings:
        return ExchangeSettings.model_validate({"env": "sim-server", "url": url, "timeout_s": 10, **fields})

    gateways: list[tuple[str, str, ExchangeGateway]] = [
        ("SimGateway (in process)", "sim", SimGateway(venue, KEY, "sim")),
        ("BybitV5Gateway", "v5", open_gateway("bybit", entry(type="bybit"), credentials, clock)),
        (
            "UnifiedCcxtGateway bybit",
            "ub",
            open_gateway("bybit", entry(type="bybit", api="unified"), credentials, clock),
        ),
        ("UnifiedCcxtGateway binance", "bn", open_gateway("binance", entry(type="binance"), credentials, clock)),
    ]
    try:
        print(f"orders: {n:,} per gateway (after {warmup} warm-up), one in flight, Python {sys.version.split()[0]}")
        for label, tag, gateway in gateways:
            print(await _measure(gateway, label, tag, n=n, warmup=warmup, counts=counts), flush=True)
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.orders, args.warmup))


if __name__ == "__main__":
    main()
