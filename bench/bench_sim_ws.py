"""WebSocket order-book deltas delivered to one client by the Bybit-protocol simulator over loopback.

Run: ``.venv/bin/python -m bench.bench_sim_ws`` (or ``python bench/bench_sim_ws.py``); ``--seconds`` per run.
The server runs in this process on 127.0.0.1 with a seeded BTCUSDT perpetual book. A churn task changes
that book as fast as the engine allows (limit orders within 60 ticks of the mid, cancels, market orders,
straight into the engine as the trader swarm does), yielding to the event loop every ``batch``
operations so the server can push. One aiohttp client subscribes to ``orderbook.50`` or
``orderbook.200``, counts delta messages and level updates, rebuilds the book from them and checks it
against the engine at the end. Runs use Bybit's push intervals (50: 20 ms, 200: 100 ms) and then 1 ms,
to show what the server can deliver when the interval is not the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aiohttp

from tradewind.adapters.clock import WallClock
from tradewind.application.venue import SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.binance_spot import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.bybit_v5 import WebSocketSettings

MID = 600_000  # ticks: 60 000 USDT at a 0.1 tick


@dataclass
class Result:
    depth: int
    interval_ms: int
    batch: int
    seconds: float
    engine_ops: int
    book_changes: int
    deltas: int
    levels: int
    bytes: int
    in_step: bool


def _seed(engine: MatchingEngine) -> None:
    for i in range(1, 301):  # 300 levels a side: depth 200 has levels below it to pull up
        engine.submit(f"sb{i}", Side.BUY, OrderType.LIMIT, 5, MID - i)
        engine.submit(f"ss{i}", Side.SELL, OrderType.LIMIT, 5, MID + i)


async def _churn(engine: MatchingEngine, stop: asyncio.Event, batch: int, counts: list[int]) -> None:
    rng = random.Random(7)
    live: list[str] = []
    n = 0
    while not stop.is_set():
        for _ in range(batch):
            n += 1
            roll = rng.random()
            if roll < 0.55 or not live:
                side = Side.BUY if rng.random() < 0.5 else Side.SELL
                away = rng.randrange(1, 60)
                price = MID - away if side is Side.BUY else MID + away
                oid = f"c{n}"
                report = engine.submit(oid, side, OrderType.LIMIT, rng.randrange(1, 20), price)
                if report.leaves:
                    live.append(oid)
            elif roll < 0.95:
                report = engine.cancel(live.pop(rng.randrange(len(live))))
            else:
                side = Side.BUY if rng.random() < 0.5 else Side.SELL
                report = engine.submit(f"c{n}", side, OrderType.MARKET, rng.randrange(1, 10))
            counts[1] += report.seq != counts[2]
            counts[2] = report.seq
        counts[0] = n
        await asyncio.sleep(0)


async def _run(depth: int, interval_ms: int, seconds: float, batch: int) -> Result:
    engines = [MatchingEngine(i) for i in default_instruments()]
    venue = SimVenue(engines, WallClock(), VenueSettings())
    engine = venue.engine(Category.LINEAR, "BTCUSDT")
    _seed(engine)
    ws_settings = WebSocketSettings(book_interval_ms={depth: interval_ms})
    bybit_only = BinanceSpotSettings(enabled=False)  # Bybit's face alone, as measured in docs/benchmarks.md
    app = create_sim_exchange_app(venue, SimExchangeSettings(port=0, websocket=ws_settings, binance=bybit_only))
    runner, port = await start_server(app, "127.0.0.1", 0)
    topic = f"orderbook.{depth}.BTCUSDT"
    inst = engine.instrument
    bids: dict[str, str] = {}  # kept as the strings received, as pybit does: cheap for the client
    asks: dict[str, str] = {}
    deltas = levels = size = 0
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{port}/v5/public/linear", max_msg_size=0) as ws,
        ):
            await ws.send_str(json.dumps({"op": "subscribe", "args": [topic]}))

            def take(message: dict[str, object]) -> int:
                data = message["data"]
                assert isinstance(data, dict)
                if message["type"] == "snapshot":
                    bids.clear()
                    asks.clear()
                for book, side in ((bids, data["b"]), (asks, data["a"])):
                    for price, qty in side:
                        if qty == "0":
                            del book[price]  # a KeyError here is a delete of a level the client never had
                        else:
                            book[price] = qty
                return len(data["b"]) + len(data["a"])

            def levels_of(book: dict[str, str], descending: bool) -> list[tuple[int, int]]:
                ticks = ((inst.price_to_ticks(Decimal(p)), inst.qty_to_lots(Decimal(q))) for p, q in book.items())
                return sorted(ticks, reverse=descending)

            while True:  # ack, then the snapshot
                first = json.loads((await ws.receive(timeout=10)).data)
                if first.get("topic") == topic:
                    take(first)
                    break
            stop = asyncio.Event()
            counts = [0, 0, engine.seq]
            churn = asyncio.create_task(_churn(engine, stop, batch, counts))
            started = time.perf_counter()
            deadline = started + seconds
            while time.perf_counter() < deadline:
                msg = await ws.receive(timeout=10)
                message = json.loads(msg.data)
                if message.get("topic") == topic:
                    deltas += 1
                    size += len(msg.data)
                    levels += take(message)
            elapsed = time.perf_counter() - started
            stop.set()
            await churn
            final = engine.snapshot(depth)
            while (levels_of(bids, True), levels_of(asks, False)) != (final.bids, final.asks):
                take(json.loads((await ws.receive(timeout=10)).data))
            in_step = True
    finally:
        await runner.cleanup()
    return Result(depth, interval_ms, batch, elapsed, counts[0], counts[1], deltas, levels, size, in_step)


def _print(results: list[Result]) -> None:
    print(
        f"{'topic':<16}{'push':>7}{'batch':>7}{'engine ops/s':>14}{'book seq/s':>12}{'deltas/s':>10}"
        f"{'levels/s':>11}{'levels/delta':>14}{'KB/s':>9}  client book == engine"
    )
    for r in results:
        s = r.seconds
        print(
            f"orderbook.{r.depth:<6}{r.interval_ms:>5}ms{r.batch:>7}"
            f"{r.engine_ops / s:>14,.0f}{r.book_changes / s:>12,.0f}"
            f"{r.deltas / s:>10,.0f}{r.levels / s:>11,.0f}{r.levels / max(r.deltas, 1):>14.1f}"
            f"{r.bytes / s / 1024:>9,.0f}  {r.in_step}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    # (depth, push interval ms, engine operations between yields to the event loop)
    runs = [(50, 20, 200), (200, 100, 200), (50, 1, 20), (200, 1, 20)]
    results = [asyncio.run(_run(depth, interval, args.seconds, batch)) for depth, interval, batch in runs]
    _print(results)


if __name__ == "__main__":
    main()
