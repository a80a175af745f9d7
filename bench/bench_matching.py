"""Matching engine throughput on the standard workload, against a bare-bones reference book and liquibook.

Run: ``.venv/bin/python -m bench.bench_matching`` (or ``python bench/bench_matching.py``).
The workload (200,000 seeded operations: 60% limit orders within +/-50 ticks of the mid, 25% cancels
of live orders, 15% market orders, 1-100 lots) is generated before timing; only engine calls are timed.
Rows: the engine as installed (mypyc when compiled), the same engine from its pure-Python source, the reference,
and liquibook (C++ via SWIG; ``pip install -e '.[bench]'``) with an order listener collecting fills, without and
with its depth listener. Every row must produce the same fills and lots, or the bench stops.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.domain import matching
from tradewind.domain.instruments import Instrument
from tradewind.domain.matching import MatchingEngine, kernel
from tradewind.domain.values import Category, OrderType, Side

# The pure-Python source of the core beside the installed build, so one run compares both kernels.
PureEngine: type[MatchingEngine] = kernel.load_source("bench_pure_matching")["engine"].MatchingEngine

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


Tally = list[int]  # [fills, lots] a runner produced over one whole run


def run_engine(chunks: Chunks, tally: Tally, engine_class: type[MatchingEngine] = MatchingEngine) -> Iterator[float]:
    """Seconds per chunk of the engine, with the reports it normally produces (and then drops)."""
    engine = engine_class(bench_instrument())
    submit, cancel = engine.submit, engine.cancel
    limit_type, market_type = OrderType.LIMIT, OrderType.MARKET
    clock = time.perf_counter
    for chunk in chunks:
        t0 = clock()
        for kind, oid, side, lots, price in chunk:
            if kind == LIMIT:
                submit(oid, side, limit_type, lots, price)
            elif kind == CANCEL:
                cancel(oid)
            else:
                submit(oid, side, market_type, lots)
        yield clock() - t0
    tally[:] = _engine_tally(chunks, engine_class)


def _engine_tally(chunks: Chunks, engine_class: type[MatchingEngine]) -> list[int]:
    """Fills and lots of the workload through ``engine_class`` (untimed: the check that rows agree)."""
    engine = engine_class(bench_instrument())
    fills = lots = 0
    for chunk in chunks:
        for kind, oid, side, qty, price in chunk:
            if kind == LIMIT:
                report = engine.submit(oid, side, OrderType.LIMIT, qty, price)
            elif kind == CANCEL:
                report = engine.cancel(oid)
            else:
                report = engine.submit(oid, side, OrderType.MARKET, qty)
            fills += len(report.fills)
            lots += report.filled if kind != CANCEL else 0
    return [fills, lots]


def run_pure_engine(chunks: Chunks, tally: Tally) -> Iterator[float]:
    """The engine executed from its ``.py`` source, whatever the installed build."""
    return run_engine(chunks, tally, PureEngine)


def run_liquibook(chunks: Chunks, tally: Tally, *, depth: bool = False) -> Iterator[float]:
    """liquibook's DepthOrderBook; an OrderListener (a Python callback per fill) is how its fills are seen."""
    import liquibook

    class Fills(liquibook.OrderListener):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.fills = 0
            self.lots = 0
            self.cancel_rejects = 0

        def on_fill(self, order: Any, matched: Any, qty: int, price: int) -> None:
            self.fills += 1
            self.lots += qty

        def on_accept(self, order: Any) -> None:
            pass

        def on_cancel(self, order: Any) -> None:
            pass

        def on_reject(self, order: Any, reason: str) -> None:
            pass

        def on_cancel_reject(self, order: Any, reason: str) -> None:
            self.cancel_rejects += 1

    class Depth(liquibook.DepthListener):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.changes = 0

        def on_depth_change(self, book: Any, depth: Any) -> None:
            self.changes += 1

    book = liquibook.DepthOrderBook()
    listener = Fills()
    book.set_order_listener(listener)
    depth_listener = Depth()
    if depth:
        book.set_depth_listener(depth_listener)
    order_class, ioc = liquibook.SimpleOrder, liquibook.oc_immediate_or_cancel
    add, cancel = book.add, book.cancel
    live: dict[str, Any] = {}
    clock = time.perf_counter
    for chunk in chunks:
        t0 = clock()
        for kind, oid, side, lots, price in chunk:
            if kind == LIMIT:
                order = order_class(side is _BUY, price, lots)
                live[oid] = order
                add(order, 0)
            elif kind == CANCEL:
                cancel(live.pop(oid))
            else:
                add(order_class(side is _BUY, 0, lots), ioc)  # price 0: a market order; IOC: the rest is cancelled
        yield clock() - t0
    tally[:] = [listener.fills, listener.lots]
    if listener.cancel_rejects:
        print(f"liquibook refused {listener.cancel_rejects} cancels")


def run_liquibook_depth(chunks: Chunks, tally: Tally) -> Iterator[float]:
    """liquibook with its depth listener too (L2 changes, as the engine reports them)."""
    return run_liquibook(chunks, tally, depth=True)


def run_bare(chunks: Chunks, tally: Tally) -> Iterator[float]:
    """Seconds per chunk of the bare-bones reference book."""
    book = BareBook()
    limit, cancel, market = book.limit, book.cancel, book.market
    clock = time.perf_counter
    for chunk in chunks:
        t0 = clock()
        for kind, oid, side, lots, price in chunk:
            if kind == LIMIT:
                limit(oid, side, lots, price)
            elif kind == CANCEL:
                cancel(oid)
            else:
                market(oid, side, lots)
        yield clock() - t0


Runner = Callable[[Chunks, Tally], Iterator[float]]  # yields each chunk's seconds


def measure(runs: Sequence[Runner], chunks: Chunks, repeats: int) -> tuple[list[tuple[float, float]], list[Tally]]:
    """Per runner: (ops/s of the best whole run, ops/s from the best time of each chunk), and its fills and lots.

    Runners interleave chunk by chunk (each keeps its own book), so the same chunk of every runner is timed within
    milliseconds and a busy neighbour slows them alike; the per-chunk figure filters out most of the remaining noise
    of a shared machine. The garbage collector is paused while timing.
    """
    n = sum(len(chunk) for chunk in chunks)
    whole = [float("inf")] * len(runs)
    per_chunk = [[float("inf")] * len(chunks) for _ in runs]
    tallies: list[Tally] = [[] for _ in runs]
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            running = [run(chunks, tallies[i]) for i, run in enumerate(runs)]
            times = [[next(r) for r in running] for _ in chunks]  # chunk by chunk, every runner in turn
            for r in running:  # let each finish (its tally)
                for _ in r:
                    pass
        finally:
            gc.enable()
        for i in range(len(runs)):
            mine = [chunk_times[i] for chunk_times in times]
            whole[i] = min(whole[i], sum(mine))
            per_chunk[i] = [min(a, b) for a, b in zip(per_chunk[i], mine, strict=True)]
    return [(n / w, n / sum(c)) for w, c in zip(whole, per_chunk, strict=True)], tallies


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
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=5_000, help="ops per timed chunk")
    args = parser.parse_args(argv)
    ops = make_workload(args.ops, args.seed)
    counts = [sum(1 for op in ops if op[0] == kind) for kind in (LIMIT, CANCEL, MARKET)]
    print(
        f"workload: {len(ops):,} ops (limit {counts[0]:,}, cancel {counts[1]:,}, market {counts[2]:,}), "
        f"seed {args.seed}, Python {sys.version.split()[0]}; {describe(ops)}"
    )
    chunks = [list(ops[i : i + args.chunk]) for i in range(0, len(ops), args.chunk)]
    rows: list[tuple[str, str, Runner]] = [
        ("MatchingEngine (reports, fills, L2 changes)", matching.KERNEL, run_engine),
        ("bare-bones reference book (no events)", "pure Python", run_bare),
    ]
    if matching.COMPILED:
        rows.insert(1, ("MatchingEngine, pure source", "pure Python", run_pure_engine))
    try:
        import liquibook  # noqa: F401 -- optional: the `bench` extra
    except ImportError:
        print("liquibook is not installed (pip install -e '.[bench]'): its rows are left out")
    else:
        rows += [
            ("liquibook, order listener (fills)", "C++ via SWIG", run_liquibook),
            ("liquibook, order + depth listeners", "C++ via SWIG", run_liquibook_depth),
        ]
    results, tallies = measure([run for _, _, run in rows], chunks, args.repeats)
    counted = {tuple(t) for t in tallies if t}
    if len(counted) != 1:
        raise SystemExit(f"the rows disagree on (fills, lots): {tallies}")
    fills, lots = counted.pop()
    print(f"every counted row: {fills:,} fills, {lots:,} lots")
    bare = results[[label for label, _, _ in rows].index("bare-bones reference book (no events)")]
    liquibook_row = next(
        (r for (label, _, _), r in zip(rows, results, strict=True) if label.startswith("liquibook")), None
    )
    header = f"{'ops/s':<46} {'kernel':<13} {'best run':>11} {'best chunks':>12} {'/ reference':>12}"
    print(header + (f" {'/ liquibook':>12}" if liquibook_row else ""))
    for (label, kind, _), (best, per_chunk) in zip(rows, results, strict=True):
        line = f"{label:<46} {kind:<13} {best:>11,.0f} {per_chunk:>12,.0f} "
        line += f"{best / bare[0]:>5.2f}-{per_chunk / bare[1]:<6.2f}"
        if liquibook_row:
            line += f" {best / liquibook_row[0]:>5.2f}-{per_chunk / liquibook_row[1]:<6.2f}"
        print(line)
    print("ratios: best run - best chunks; machine load " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
