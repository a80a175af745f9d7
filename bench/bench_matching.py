"""Matching engine throughput on the standard workload, against a bare-bones reference book.

Run: ``.venv/bin/python -m bench.bench_matching`` (or ``python bench/bench_matching.py``).
The workload (200,000 seeded operations: 60% limit orders within +/-50 ticks of the mid, 25% cancels
of live orders, 15% market orders, 1-100 lots) is generated before timing; only engine calls are timed.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.domain.instruments import Instrument
from tradewind.domain.matching import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side

LIMIT, CANCEL, MARKET = 0, 1, 2
Op = tuple[int, str, Side, int, int]  # (kind, order_id, side, lots, price_ticks); unused fields are 0

_BUY = Side.BUY  # bound once: enum member lookup on the class is slow
MID = 100_000
SPREAD_TICKS = 50


def bench_instrument() -> Instrument:
    return Instrument(
        "BTCUSDT",
        Category.SPOT,
        "BTC",
        "USDT",
        Decimal("0.1"),
        Decimal("0.001"),
        Decimal("0.001"),
        Decimal("1000"),
        Decimal("0"),
    )


def make_workload(n: int = 200_000, seed: int = 7) -> list[Op]:
    """The standard workload; cancels pick a uniformly random order that is live at that point."""
    rng = random.Random(seed)
    engine = MatchingEngine(bench_instrument())
    live: list[str] = []
    where: dict[str, int] = {}

    def drop(oid: str) -> None:
        i = where.pop(oid)
        last = live.pop()
        if last != oid:
            live[i] = last
            where[last] = i

    ops: list[Op] = []
    for i in range(n):
        r = rng.random()
        oid = str(i)
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        lots = rng.randint(1, 100)
        if r < 0.25 and live:
            target = live[rng.randrange(len(live))]
            ops.append((CANCEL, target, side, 0, 0))
            engine.cancel(target)
            drop(target)
            continue
        if r < 0.40:
            ops.append((MARKET, oid, side, lots, 0))
            report = engine.submit(oid, side, OrderType.MARKET, lots)
        else:
            price = MID + rng.randint(-SPREAD_TICKS, SPREAD_TICKS)
            ops.append((LIMIT, oid, side, lots, price))
            report = engine.submit(oid, side, OrderType.LIMIT, lots, price)
            if report.leaves:
                where[oid] = len(live)
                live.append(oid)
        for fill in report.fills:
            if not fill.maker_leaves:
                drop(fill.maker_order_id)
    return ops


class BareBook:
    """Bare-bones reference: heaps of price levels, a deque per level, lazy cancels, no events."""

    def __init__(self) -> None:
        self.bid_heap: list[int] = []  # negated prices
        self.ask_heap: list[int] = []
        self.bids: dict[int, deque[list[Any]]] = {}
        self.asks: dict[int, deque[list[Any]]] = {}
        self.orders: dict[str, list[Any]] = {}

    def _take(self, heap: list[int], levels: dict[int, deque[list[Any]]], sign: int, qty: int, limit: int) -> int:
        orders = self.orders
        while qty and heap:
            key = heap[0]
            if key > limit:
                break
            level = levels[key]
            while qty and level:
                maker = level[0]
                if maker[1] <= qty:
                    qty -= maker[1]
                    maker[1] = 0
                    level.popleft()
                    orders.pop(maker[0], None)
                elif maker[1]:
                    maker[1] -= qty
                    qty = 0
                else:
                    level.popleft()
            if not level:
                del levels[key]
                heapq.heappop(heap)
        return qty

    def limit(self, oid: str, side: Side, qty: int, price: int) -> None:
        if side is _BUY:
            qty = self._take(self.ask_heap, self.asks, 1, qty, price)
            heap, levels, key = self.bid_heap, self.bids, -price
        else:
            qty = self._take(self.bid_heap, self.bids, -1, qty, -price)
            heap, levels, key = self.ask_heap, self.asks, price
        if qty:
            order = [oid, qty]
            self.orders[oid] = order
            level = levels.get(key)
            if level is None:
                levels[key] = deque((order,))
                heapq.heappush(heap, key)
            else:
                level.append(order)

    def market(self, oid: str, side: Side, qty: int) -> None:
        if side is _BUY:
            self._take(self.ask_heap, self.asks, 1, qty, sys.maxsize)
        else:
            self._take(self.bid_heap, self.bids, -1, qty, sys.maxsize)

    def cancel(self, oid: str) -> None:
        order = self.orders.pop(oid, None)
        if order is not None:
            order[1] = 0  # lazy: skipped (and dropped) when it reaches the front of its level


Chunks = list[list[Op]]


def run_engine(chunks: Chunks) -> list[float]:
    """Seconds per chunk of the engine, with the reports it normally produces (and then drops)."""
    engine = MatchingEngine(bench_instrument())
    submit, cancel = engine.submit, engine.cancel
    limit_type, market_type = OrderType.LIMIT, OrderType.MARKET
    clock = time.perf_counter
    times = []
    for chunk in chunks:
        t0 = clock()
        for kind, oid, side, lots, price in chunk:
            if kind == LIMIT:
                submit(oid, side, limit_type, lots, price)
            elif kind == CANCEL:
                cancel(oid)
            else:
                submit(oid, side, market_type, lots)
        times.append(clock() - t0)
    return times


def run_bare(chunks: Chunks) -> list[float]:
    """Seconds per chunk of the bare-bones reference book."""
    book = BareBook()
    limit, cancel, market = book.limit, book.cancel, book.market
    clock = time.perf_counter
    times = []
    for chunk in chunks:
        t0 = clock()
        for kind, oid, side, lots, price in chunk:
            if kind == LIMIT:
                limit(oid, side, lots, price)
            elif kind == CANCEL:
                cancel(oid)
            else:
                market(oid, side, lots)
        times.append(clock() - t0)
    return times


def measure(runs: Sequence[Callable[[Chunks], list[float]]], chunks: Chunks, repeats: int) -> list[tuple[float, float]]:
    """Per runner: (ops/s of the best whole run, ops/s from the best time of each chunk).

    Runners interleave, so a busy neighbour slows them alike; the per-chunk figure filters out most of
    the noise of a shared machine. The garbage collector is paused while timing.
    """
    n = sum(len(chunk) for chunk in chunks)
    whole = [float("inf")] * len(runs)
    per_chunk = [[float("inf")] * len(chunks) for _ in runs]
    for _ in range(repeats):
        for i, run in enumerate(runs):
            gc.collect()
            gc.disable()
            try:
                times = run(chunks)
            finally:
                gc.enable()
            whole[i] = min(whole[i], sum(times))
            per_chunk[i] = [min(a, b) for a, b in zip(per_chunk[i], times, strict=True)]
    return [(n / w, n / sum(c)) for w, c in zip(whole, per_chunk, strict=True)]


def describe(ops: Sequence[Op]) -> str:
    """What the workload does to the engine: fills, rejects and resting orders per operation."""
    engine = MatchingEngine(bench_instrument())
    fills = rejects = resting = 0
    for kind, oid, side, lots, price in ops:
        if kind == LIMIT:
            report = engine.submit(oid, side, OrderType.LIMIT, lots, price)
        elif kind == CANCEL:
            report = engine.cancel(oid)
        else:
            report = engine.submit(oid, side, OrderType.MARKET, lots)
        fills += len(report.fills)
        rejects += report.reason is not None
        resting += sum(1 for _ in engine.open_order_ids())
    n = len(ops)
    return f"{fills / n:.2f} fills/op, {rejects / n:.1%} rejected, {resting / n:.1f} orders resting on average"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=5_000, help="ops per timed chunk")
    args = parser.parse_args(argv)
    ops = make_workload(args.ops, args.seed)
    counts = [sum(1 for op in ops if op[0] == kind) for kind in (LIMIT, CANCEL, MARKET)]
    print(
        f"workload: {len(ops):,} ops (limit {counts[0]:,}, cancel {counts[1]:,}, market {counts[2]:,}), "
        f"seed {args.seed}, Python {sys.version.split()[0]}; {describe(ops)}"
    )
    chunks = [list(ops[i : i + args.chunk]) for i in range(0, len(ops), args.chunk)]
    (engine_best, engine_chunks), (bare_best, bare_chunks) = measure([run_engine, run_bare], chunks, args.repeats)
    print(f"{'ops/s':>48} {'best run':>12} {'best chunks':>12}")
    print(f"{'MatchingEngine (reports, fills, L2 changes)':<48} {engine_best:>12,.0f} {engine_chunks:>12,.0f}")
    print(f"{'bare-bones reference book (no events)':<48} {bare_best:>12,.0f} {bare_chunks:>12,.0f}")
    print(f"{'engine / bare-bones':<48} {engine_best / bare_best:>12.2f} {engine_chunks / bare_chunks:>12.2f}")


if __name__ == "__main__":
    main()
