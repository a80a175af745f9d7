"""Market data: book deltas applied per second by ``LocalBook``, and rows stored per second to PostgreSQL.

Run: ``.venv/bin/python -m bench.bench_marketdata [--deltas 20000] [--trades 50000] [--books 5000]``.
(a) A seeded ``orderbook.50`` stream (one snapshot, then deltas) is generated before timing: a
``MatchingEngine`` seeded with 300 levels a side is churned by a random workload and each delta is
``top_diff`` of its top 50 between pushes, as the Bybit-protocol simulator publishes it, with prices
and sizes parsed from their wire text. Only ``LocalBook.apply`` (and, second figure, ``apply`` plus
the top-50 ``snapshot`` that ``MarketDataService`` takes per update) is timed.
(b) Trades and top-50 book snapshots go to PostgreSQL through ``SqlMarketDataRepository`` (COPY path,
and executemany for reference), one ``add_*`` call per batch (500 rows, the recorder's default, and
5000), next to a raw psycopg COPY of the same rows into the same tables, batched alike. Each way writes into its own
throwaway schema (dropped afterwards), and the ways take turns batch by batch, so a neighbour's burst on a shared
machine lands on all of them alike.
(c) The same trades and books through the repository to a SQLite file (executemany), next to raw sqlite3.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, LiteralString

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg
from sqlalchemy import text

from tradewind.adapters.store.sqlalchemy.columns import levels_literal, ns_to_datetime
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.book import LocalBook
from tradewind.application.marketdata.recorder import RecorderSettings
from tradewind.application.ports.market_data import BookUpdate, UpdateKind
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.market import BookSnapshot, InstrumentRef, Level, TradeTick
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.domain.venue_accounts.money import fmt
from tradewind.interfaces.sim_exchange.book_diff import top_diff

T0 = 1_767_225_600_000_000_000
REF = InstrumentRef("bybit", Category.LINEAR, "BTCUSDT", "BTC")
MID = 600_000  # ticks: 60 000 USDT at a 0.1 tick
DEPTH = 50
TABLES = ("market_trades", "book_snapshots")


@dataclass(frozen=True, slots=True)
class Stream:
    updates: list[BookUpdate]  # snapshot first
    final: tuple[tuple[Level, ...], tuple[Level, ...]]  # the engine's top 50 at the end, as Decimals
    engine_ops: int


class _Wire:
    """(ticks, lots) -> fresh Decimals parsed from the text the venue sends, as the stream client gets them."""

    def __init__(self, instrument: Instrument) -> None:
        self._inst = instrument
        self._prices: dict[int, str] = {}
        self._qtys: dict[int, str] = {}

    def __call__(self, levels: Sequence[tuple[int, int]]) -> tuple[Level, ...]:
        out = []
        for price, qty in levels:
            p = self._prices.get(price) or self._prices.setdefault(price, fmt(self._inst.ticks_to_price(price)))
            q = self._qtys.get(qty) or self._qtys.setdefault(qty, fmt(self._inst.lots_to_qty(qty)))
            out.append((Decimal(p), Decimal(q)))
        return tuple(out)


def make_stream(n_deltas: int, ops_per_delta: int, seed: int = 7) -> Stream:
    """Snapshot + ``n_deltas`` deltas of the top 50; each push follows ``ops_per_delta`` engine operations."""
    instrument = next(i for i in default_instruments() if i.category is Category.LINEAR and i.symbol == "BTCUSDT")
    engine = MatchingEngine(instrument)
    for i in range(1, 301):
        engine.submit(f"sb{i}", Side.BUY, OrderType.LIMIT, 5, MID - i)
        engine.submit(f"ss{i}", Side.SELL, OrderType.LIMIT, 5, MID + i)
    rng = random.Random(seed)
    wire = _Wire(instrument)
    live: list[str] = []
    view = engine.snapshot(DEPTH)
    ts = T0
    updates = [BookUpdate(UpdateKind.SNAPSHOT, wire(view.bids), wire(view.asks), 1, view.seq, ts)]
    ops = 0
    while len(updates) <= n_deltas:
        for _ in range(ops_per_delta):  # the simulator's churn: 55% limit, 40% cancel, 5% market
            ops += 1
            roll = rng.random()
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            if roll < 0.55 or not live:
                away = rng.randrange(1, 60)
                oid = f"c{ops}"
                price = MID - away if side is Side.BUY else MID + away
                if engine.submit(oid, side, OrderType.LIMIT, rng.randrange(1, 20), price).leaves:
                    live.append(oid)
            elif roll < 0.95:
                engine.cancel(live.pop(rng.randrange(len(live))))
            else:
                engine.submit(f"c{ops}", side, OrderType.MARKET, rng.randrange(1, 10))
        snap = engine.snapshot(DEPTH)
        bids = top_diff(view.bids, snap.bids, descending=True)
        asks = top_diff(view.asks, snap.asks, descending=False)
        ts += 20_000_000
        if bids or asks:
            u = updates[-1].u + 1
            updates.append(BookUpdate(UpdateKind.DELTA, wire(bids), wire(asks), u, snap.seq, ts))
            view = snap
    return Stream(updates, (wire(view.bids), wire(view.asks)), ops)


def apply_all(stream: Stream, *, snapshot: bool) -> float:
    """Seconds to apply the whole stream to a fresh LocalBook (checked against the engine afterwards)."""
    book = LocalBook(REF, contiguous_u=True)
    apply, take = book.apply, book.snapshot
    started = time.perf_counter()
    if snapshot:
        for update in stream.updates:
            apply(update)
            take(DEPTH)
    else:
        for update in stream.updates:
            apply(update)
    elapsed = time.perf_counter() - started
    if book.top(DEPTH) != stream.final:
        raise AssertionError("LocalBook is out of step with the engine")
    return elapsed


def bench_books(deltas: int, rounds: int, keep: int) -> list[BookSnapshot]:
    """Print the LocalBook figures; return up to ``keep`` top-50 snapshots of the coarser stream."""
    print(f"\n(a) LocalBook, orderbook.{DEPTH} stream, best of {rounds} runs\n")
    print(
        "| ops per push | deltas | levels per delta | apply: deltas/s | apply: levels/s | apply + snapshot: deltas/s |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    books: list[BookSnapshot] = []
    for ops_per_delta in (1, 20):
        stream = make_stream(deltas, ops_per_delta)
        levels = sum(len(u.bids) + len(u.asks) for u in stream.updates[1:])
        plain = min(apply_all(stream, snapshot=False) for _ in range(rounds))
        with_snap = min(apply_all(stream, snapshot=True) for _ in range(rounds))
        n = len(stream.updates)
        print(
            f"| {ops_per_delta} | {deltas:,} | {levels / deltas:.1f} | {n / plain:,.0f} | {levels / plain:,.0f} "
            f"| {n / with_snap:,.0f} |"
        )
        if ops_per_delta != 1:
            book = LocalBook(REF, contiguous_u=True)
            for update in stream.updates[:keep]:
                book.apply(update)
                books.append(book.snapshot(DEPTH))
    return books


def make_trades(n: int) -> list[TradeTick]:
    rng = random.Random(11)
    return [
        TradeTick(
            REF,
            f"{1_000_000_000 + i}",
            Decimal(f"{60_000 + rng.randrange(-500, 500) / 10:.1f}"),
            Decimal(f"{rng.randrange(1, 2000) / 1000:.3f}"),
            Side.BUY if rng.random() < 0.5 else Side.SELL,
            T0 + i * 1_000_003,
        )
        for i in range(n)
    ]


def _trade_row(t: TradeTick) -> tuple[Any, ...]:
    r = t.ref
    p, q, side = str(t.price), str(t.qty), t.taker_side.value
    return (
        r.exchange,
        r.category.value,
        r.symbol,
        r.matching_key,
        t.trade_id,
        p,
        q,
        side,
        t.ts_ns,
        ns_to_datetime(t.ts_ns),
    )


def _book_row(b: BookSnapshot) -> tuple[Any, ...]:
    r = b.ref
    bids, asks = levels_literal(b.bids), levels_literal(b.asks)  # the columns are NUMERIC[][] (migration 0014)
    return (r.exchange, r.category.value, r.symbol, r.matching_key, b.seq, bids, asks, b.ts_ns, ns_to_datetime(b.ts_ns))


_RAW: dict[str, tuple[LiteralString, Callable[[Any], tuple[Any, ...]]]] = {
    "market_trades": (
        "COPY market_trades (exchange, category, symbol, matching_key, trade_id, price, qty, taker_side, ts_ns, ts) "
        "FROM STDIN",
        _trade_row,
    ),
    "book_snapshots": (
        "COPY book_snapshots (exchange, category, symbol, matching_key, seq, bids, asks, ts_ns, ts) FROM STDIN",
        _book_row,
    ),
}


def raw_copy(conn: psycopg.Connection[Any], table: str, items: Sequence[Any], batch: int) -> None:
    """The floor: one COPY per batch straight into the table, no checks, no duplicate handling."""
    statement, row = _RAW[table]
    for start in range(0, len(items), batch):
        with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
            for item in items[start : start + batch]:
                copy.write_row(row(item))


async def repo_write(repo: SqlMarketDataRepository, table: str, items: Sequence[Any], batch: int) -> None:
    add: Callable[[Any], Any] = repo.add_trades if table == "market_trades" else repo.add_books
    for start in range(0, len(items), batch):  # the recorder hands over one batch per call
        await add(items[start : start + batch])


async def bench_postgres(url: str, trades: int, books: list[BookSnapshot], batches: list[int], rounds: int) -> None:
    """Each way writes into its own throwaway schema, and the ways take turns batch by batch (see the table note)."""
    ways = ("repository, COPY path", "repository, executemany", "raw psycopg COPY")
    tag = uuid.uuid4().hex[:8]
    databases = [Database(url, schema=f"tw_bench_md_{tag}_{i}") for i in range(len(ways))]
    try:
        for database in databases:
            database.upgrade()
    except Exception as exc:
        print(f"\n(b) PostgreSQL skipped: {exc}", file=sys.stderr)
        for database in databases:
            database.dispose()
        return
    raw_db = databases[2]
    conninfo = raw_db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    raw = psycopg.connect(conninfo, options=f"-csearch_path={raw_db.schema}")
    copy_repo = SqlMarketDataRepository(databases[0])
    many_repo = SqlMarketDataRepository(databases[1], use_copy=False)
    work: dict[str, Sequence[Any]] = {"market_trades": make_trades(trades), "book_snapshots": books}
    gc.collect()
    gc.freeze()  # the inputs stay out of the collector's scans, as in a recorder whose heap is small
    best: dict[tuple[int, str, str], float] = {}

    def clear(database: Database) -> None:
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))

    def stored(database: Database, table: str) -> int:
        with database.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    async def one_batch(way: str, table: str, chunk: Sequence[Any]) -> float:
        started = time.perf_counter()
        if way == ways[2]:
            raw_copy(raw, table, chunk, len(chunk))
        else:
            await repo_write(copy_repo if way == ways[0] else many_repo, table, chunk, len(chunk))
        return time.perf_counter() - started

    try:
        for _ in range(rounds):
            for batch, (table, items) in itertools.product(batches, work.items()):
                for database in databases:
                    clear(database)
                spent = dict.fromkeys(ways, 0.0)
                for start in range(0, len(items), batch):  # every way writes this batch, in turn
                    for way in ways:
                        spent[way] += await one_batch(way, table, items[start : start + batch])
                for way, database in zip(ways, databases, strict=True):
                    if stored(database, table) != len(items):
                        raise AssertionError(f"{way}: {stored(database, table)} rows in {table}, expected {len(items)}")
                    best[batch, table, way] = min(best.get((batch, table, way), spent[way]), spent[way])
    finally:
        raw.close()
        for database in databases:
            try:
                database.drop_schema()
            except Exception as exc:  # e.g. PostgreSQL restarted by another job: say what is left behind
                print(f"schema {database.schema} not dropped: {exc}", file=sys.stderr)
            database.dispose()
    print(f"\n(b) PostgreSQL, one transaction per batch, ways taking turns batch by batch, best of {rounds} rounds\n")
    print("| table | rows | batch | way | rows/s | µs/row | this / raw COPY |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for batch, (table, items), way in itertools.product(batches, work.items(), ways):
        seconds, floor = best[batch, table, way], best[batch, table, ways[2]]
        n = len(items)
        rate = f"{n / seconds:,.0f} | {seconds / n * 1e6:.0f} | {floor / seconds:.2f}"
        print(f"| {table} | {n:,} | {batch} | {way} | {rate} |")


def _sqlite_trade_row(t: TradeTick) -> tuple[Any, ...]:
    r = t.ref
    ts = ns_to_datetime(t.ts_ns).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (r.exchange, r.category.value, r.symbol, r.matching_key, t.trade_id, str(t.price), str(t.qty),
            t.taker_side.value, t.ts_ns, ts)  # fmt: skip


def _sqlite_book_row(b: BookSnapshot) -> tuple[Any, ...]:
    r = b.ref
    bids = json.dumps([[str(p), str(q)] for p, q in b.bids])
    asks = json.dumps([[str(p), str(q)] for p, q in b.asks])
    ts = ns_to_datetime(b.ts_ns).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (r.exchange, r.category.value, r.symbol, r.matching_key, b.seq, bids, asks, b.ts_ns, ts)


async def bench_sqlite(trades: int, books: list[BookSnapshot], batch: int, rounds: int) -> None:
    """The SQLite path: executemany of INSERT ... ON CONFLICT DO NOTHING per batch, against a raw sqlite3 floor."""
    import sqlite3
    import tempfile

    work: dict[str, Sequence[Any]] = {"market_trades": make_trades(trades), "book_snapshots": books}
    raw_sql = {
        "market_trades": (
            "INSERT INTO market_trades (exchange, category, symbol, matching_key, trade_id, price, qty, taker_side, "
            "ts_ns, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _sqlite_trade_row,
        ),
        "book_snapshots": (
            "INSERT INTO book_snapshots (exchange, category, symbol, matching_key, seq, bids, asks, ts_ns, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _sqlite_book_row,
        ),
    }
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: ASYNC240 -- once, before timing
    best: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        database.upgrade()
        repo = SqlMarketDataRepository(database)
        raw = sqlite3.connect(f"{tmp}/bench.db")
        try:
            for _ in range(rounds):
                for (table, items), way in itertools.product(work.items(), ("repository", "raw sqlite3")):
                    raw.execute(f"DELETE FROM {table}")
                    raw.commit()
                    started = time.perf_counter()
                    if way == "repository":
                        await repo_write(repo, table, items, batch)
                    else:
                        statement, row = raw_sql[table]
                        for start in range(0, len(items), batch):
                            with raw:
                                raw.executemany(statement, [row(item) for item in items[start : start + batch]])
                    elapsed = time.perf_counter() - started
                    best[table, way] = min(best.get((table, way), elapsed), elapsed)
        finally:
            raw.close()
            database.dispose()
    print(f"\n(c) SQLite (WAL, file on {folder or 'disk'}), one transaction per {batch}-row batch, best of {rounds}\n")
    print("| table | rows | way | rows/s | this / raw |")
    print("| --- | ---: | --- | ---: | ---: |")
    for (table, items), way in itertools.product(work.items(), ("repository", "raw sqlite3")):
        seconds = best[table, way]
        floor = best[table, "raw sqlite3"]
        print(f"| {table} | {len(items):,} | {way} | {len(items) / seconds:,.0f} | {floor / seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--trades", type=int, default=50_000)
    parser.add_argument("--books", type=int, default=5_000, help="top-50 book snapshots to store")
    parser.add_argument("--batches", default=f"{RecorderSettings().batch_size},5000", help="rows per add_* call")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    books = bench_books(args.deltas, args.rounds, args.books)
    asyncio.run(bench_postgres(args.postgres_url, args.trades, books, batches, args.rounds))
    asyncio.run(bench_sqlite(args.trades, books, batches[0], args.rounds))


if __name__ == "__main__":
    main()
