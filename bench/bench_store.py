"""Storage throughput: batched trade inserts and reads, the bus-to-DB recorder, log sink, Parquet export.

Run: ``.venv/bin/python -m bench.bench_store [--rows 50000] [--postgres-url URL]``. SQLite is a file in a
temporary folder; PostgreSQL (skipped when unreachable) gets a throwaway schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import structlog

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.logging import DbLogSink, configure_logging, reset_logging
from tradewind.adapters.store.parquet import export_parquet
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.domain.market import InstrumentRef, TradeTick, trade_to_payload
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000
REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")


def make_trades(n: int, prefix: str = "t") -> list[TradeTick]:
    side = (Side.BUY, Side.SELL)
    return [
        TradeTick(
            REF,
            f"{prefix}{i}",
            Decimal("65000.1") + i % 500,
            Decimal("0.001") * (1 + i % 7),
            side[i % 2],
            T0 + i * 10**6,
        )
        for i in range(n)
    ]


async def timed(label: str, rows: int, work: Callable[[], Awaitable[object]]) -> tuple[str, int, float]:
    start = time.perf_counter()
    await work()
    return label, rows, time.perf_counter() - start


async def bench_backend(database: Database, rows: int, out: Path) -> list[tuple[str, int, float]]:
    database.upgrade()
    repo = SqlMarketDataRepository(database)
    trades = make_trades(rows)
    results = [
        await timed("add_trades (batches of 1000)", rows, lambda: repo.add_trades(trades)),
        await timed("trades() read back", rows, lambda: repo.trades(REF)),
        await timed("export_parquet", rows, lambda: asyncio.to_thread(export_parquet, database, out)),
    ]

    bus = InMemoryBus()
    await bus.start()
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=1000))
    await recorder.start()
    payloads = [trade_to_payload(t) for t in make_trades(rows, prefix="r")]
    topic = REF.topic("trade")

    async def record() -> None:
        for payload in payloads:
            await bus.publish(topic, payload)
        while recorder.stats.received < rows:  # noqa: ASYNC110 - the recorder exposes a counter, not an event
            await asyncio.sleep(0.001)
        await recorder.stop()

    results.append(await timed("bus -> recorder -> DB", rows, record))
    await bus.close()

    sink = DbLogSink(SqlLogRepository(database), batch_size=1000)
    configure_logging("info", json=True, sink=sink, stream=io.StringIO())
    await sink.start()
    log = structlog.get_logger("bench.store")
    n_logs = rows // 5

    async def log_events() -> None:
        for i in range(n_logs):
            log.info("bench.event", job_id="job-1", i=i, qty=Decimal("0.5"))
        await sink.stop()

    results.append(await timed("structlog -> DbLogSink -> DB", n_logs, log_events))
    reset_logging()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", Database(f"sqlite:///{tmp}/bench.db"))]
        pg = Database(args.postgres_url, schema=f"tw_bench_{uuid.uuid4().hex[:8]}")
        try:
            with pg.engine.connect():
                backends.append(("postgresql", pg))
        except Exception as exc:
            print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        print("| backend | operation | rows | seconds | rows/s |\n| --- | --- | ---: | ---: | ---: |")
        for name, database in backends:
            try:
                for label, n, seconds in await bench_backend(database, args.rows, Path(tmp) / f"parquet-{name}"):
                    print(f"| {name} | {label} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} |")
            finally:
                database.drop_schema()
                database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
