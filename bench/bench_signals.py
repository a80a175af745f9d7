"""Signal trading's hot paths: trades into candles, and one ``trend`` decision per closed candle.

Run: ``.venv/bin/python -m bench.bench_signals [--trades 500000] [--candles 5000]``.

* **candles**: ``CandleBuilder.add`` over a seeded random trade stream (1-minute candles, about 100 trades a
  minute), then ``close_until`` at the end: trades per second, best of 3;
* **trend**: ``TrendStrategy.on_candle`` with the producer's default history (500 candles) and the default
  parameters (EMA 10/30, trend EMA 100, ATR 14), one call per closed candle as the producer makes it: p50 and p99
  of the call, in microseconds.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.domain.candles import MINUTE_MS, Candle, CandleBuilder
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.signals.strategy import StrategySpec
from tradewind.domain.signals.trend import TrendStrategy
from tradewind.domain.values import Category, Side

REF = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
T0_MS = 1_767_225_600_000
HISTORY = 500


def trades(n: int, seed: int = 7) -> list[TradeTick]:
    rng = random.Random(seed)
    price, out, ts = 600_000, [], T0_MS * 1_000_000
    for i in range(n):
        price += rng.choice((-1, 0, 1))
        ts += rng.randrange(1, 1_200) * 1_000_000  # about 100 trades a minute
        qty = Decimal(rng.randrange(1, 1000)).scaleb(-3)
        out.append(TradeTick(REF, f"t{i}", Decimal(price).scaleb(-1), qty, Side.BUY if i % 2 else Side.SELL, ts))
    return out


def bench_candles(n: int) -> None:
    stream = trades(n)
    best = float("inf")
    closed: list[Candle] = []
    for _ in range(3):
        builder = CandleBuilder(REF)
        started = time.perf_counter()
        for t in stream:
            builder.add(t)
        closed = builder.close_until(stream[-1].ts_ns // 1_000_000 + MINUTE_MS)
        best = min(best, time.perf_counter() - started)
    print(f"candles: {n:,} trades -> {len(closed):,} one-minute candles in {best:.3f} s: {n / best:,.0f} trades/s")


def bench_trend(n: int) -> None:
    candles: list[Candle] = []
    builder = CandleBuilder(REF)
    for t in trades(n * 100, seed=11):
        builder.add(t)
    candles = builder.close_until(T0_MS + 10**12)[: n + HISTORY]
    spec = StrategySpec("trend-btc", "trend", "sim", Category.LINEAR, "BTCUSDT", 1, Decimal(100))
    strategy = TrendStrategy(spec)
    calls: list[float] = []
    signals = 0
    gc.collect()
    gc.disable()  # the figure is the decision's, not a collection's that happens to fall in it
    for i in range(HISTORY, len(candles)):
        window = tuple(candles[i - HISTORY : i])
        started = time.perf_counter()
        signal = strategy.on_candle(window)
        calls.append(time.perf_counter() - started)
        signals += signal is not None
    gc.enable()
    calls.sort()
    p50, p99 = calls[len(calls) // 2] * 1e6, calls[int(len(calls) * 0.99)] * 1e6
    print(
        f"trend: {len(calls):,} decisions on {HISTORY} candles, {signals} signals: p50 {p50:.0f} us, p99 {p99:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=500_000)
    parser.add_argument("--candles", type=int, default=5_000)
    args = parser.parse_args()
    bench_candles(args.trades)
    bench_trend(args.candles)


if __name__ == "__main__":
    main()
