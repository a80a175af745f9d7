"""The lake: rows per second from the bus into Parquet files, and the ratio to pyarrow writing the same rows.

Run: ``.venv/bin/python -m bench.bench_lake [--rows 50000] [--rows-per-file 10000] [--rabbitmq-url URL]``.
For each bus (in-memory; RabbitMQ with a durable queue, manual acks, prefetch = rows per file) and each store
(a folder; a real S3-compatible server, moto on loopback in its own process), ``--rows`` trades are published
into the sink's queue while no sink consumes it, then a ``LakeSink`` is started and timed until every row is
in the lake (decode, buffer, dedup check, Parquet, durable write, acks). The baseline writes the same rows
straight to the same store with pyarrow, in files of the same size, from the same Python objects (conversion
included, no bus, no dedup listing). The exchanges and queues get names of their own and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aio_pika
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from tests.support.s3 import S3Server, moto_server

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus, RabbitMqSettings
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.lake.filesystem import LakeRoot
from tradewind.adapters.store.lake.layout import KINDS, to_table
from tradewind.adapters.store.lake.store import ParquetLake
from tradewind.application.lake.sink import LakeSink, SinkPolicy
from tradewind.application.ports.bus import Bus, Message
from tradewind.domain.market import InstrumentRef, TradeTick, trade_to_payload
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000
QUEUES: list[str] = []  # deleted from RabbitMQ afterwards
MARKETS = (InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT"), InstrumentRef("sim", Category.LINEAR, "BTCUSDT"))


def make_trades(n: int) -> list[TradeTick]:
    return [
        TradeTick(MARKETS[i % 2], f"t{i}", Decimal("65000.1") + i % 100, Decimal("0.001"), Side.BUY, T0 + i * 1000)
        for i in range(n)
    ]


async def fill(bus: Bus, queue: str, trades: list[TradeTick]) -> None:
    """Declare the durable queue (a subscription, cancelled), then publish every trade into it."""
    QUEUES.append(queue)
    sub = await bus.subscribe("md.trade.#", _ignore, queue=queue)
    await sub.cancel()
    for start in range(0, len(trades), 200):
        chunk = trades[start : start + 200]
        await asyncio.gather(*(bus.publish(t.ref.topic("trade"), trade_to_payload(t)) for t in chunk))


async def _ignore(_message: Message) -> None:
    return None


async def until(done: Callable[[], bool]) -> None:
    while not done():  # noqa: ASYNC110 - polling the counters of the run being measured
        await asyncio.sleep(0.005)


async def through_the_sink(bus: Bus, root: LakeRoot, trades: list[TradeTick], rows_per_file: int) -> float:
    """Rows per second from a full queue into the lake."""
    queue = f"bench-lake-{uuid.uuid4().hex[:8]}"
    await fill(bus, queue, trades)
    policy = SinkPolicy(kinds=("trade",), queue=queue, rows_per_file=rows_per_file, roll_interval_s=0.5)
    sink = LakeSink(bus, ParquetLake(root), WallClock(), policy)
    began = time.perf_counter()
    await sink.start()
    await until(lambda: sink.stats.written >= len(trades))
    elapsed = time.perf_counter() - began
    await sink.stop()
    return len(trades) / elapsed


async def bus_alone(bus: Bus, trades: list[TradeTick], rows_per_file: int) -> float:
    """Rows per second the same bus delivers from a full queue to a handler that only counts (the ceiling)."""
    queue = f"bench-lake-{uuid.uuid4().hex[:8]}"
    await fill(bus, queue, trades)
    seen = 0

    async def count(_message: Message) -> None:
        nonlocal seen
        seen += 1

    began = time.perf_counter()
    sub = await bus.subscribe("md.trade.#", count, queue=queue, concurrency=rows_per_file)
    await until(lambda: seen >= len(trades))
    elapsed = time.perf_counter() - began
    await sub.cancel()
    return len(trades) / elapsed


def straight(root: LakeRoot, trades: list[TradeTick], rows_per_file: int) -> float:
    """Rows per second of pyarrow alone: the same rows, tables and file sizes, written to the same store."""
    kind = KINDS["trade"]
    began = time.perf_counter()
    for market in MARKETS:
        rows = [t for t in trades if t.ref == market]
        for n, start in enumerate(range(0, len(rows), rows_per_file)):
            folder = root.join("direct", market.category.value)
            if root.local:
                Path(folder).mkdir(parents=True, exist_ok=True)
            pq.write_table(to_table(kind, rows[start : start + rows_per_file]), f"{folder}/{n}.parquet",
                           filesystem=root.filesystem)  # fmt: skip
    return len(trades) / (time.perf_counter() - began)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rows-per-file", type=int, default=10_000)
    parser.add_argument("--rabbitmq-url", default="amqp://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()
    trades = make_trades(args.rows)
    run = uuid.uuid4().hex[:8]
    rabbit = RabbitMqSettings(
        url=args.rabbitmq_url, exchange=f"bench.lake.{run}", dead_letter_exchange=f"bench.lake.dead.{run}",
        publish_timeout=120.0,
    )  # fmt: skip
    buses: dict[str, Callable[[], Bus]] = {"InMemoryBus": InMemoryBus, "RabbitMqBus": lambda: RabbitMqBus(rabbit)}
    print(f"{args.rows:,} trades, {args.rows_per_file:,} rows per file")
    print("| bus | store | rows/s bus → lake | rows/s pyarrow alone | ratio | rows/s bus alone |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp, moto_server() as server:
        stores = {"folder": lambda: _folder(tmp), "S3 (moto)": lambda: _bucket(server)}
        for store, make_root in stores.items():
            baseline = straight(make_root(), trades, args.rows_per_file)
            for name, make_bus in buses.items():
                bus = make_bus()
                await bus.start()
                try:
                    rate = await through_the_sink(bus, make_root(), trades, args.rows_per_file)
                    ceiling = await bus_alone(bus, trades, args.rows_per_file)
                finally:
                    await bus.close()
                row = f"| {name} | {store} | {rate:,.0f} | {baseline:,.0f} | {rate / baseline:.2f} | {ceiling:,.0f} |"
                print(row, flush=True)
    await _cleanup(rabbit)


def _folder(tmp: str) -> LakeRoot:
    return LakeRoot(pafs.LocalFileSystem(), f"{tmp}/{uuid.uuid4().hex[:8]}", local=True)


def _bucket(server: S3Server) -> LakeRoot:
    return LakeRoot(server.filesystem(), f"{server.new_bucket()}/lake", local=False)


async def _cleanup(settings: RabbitMqSettings) -> None:
    connection = await aio_pika.connect(settings.url)
    try:
        channel = await connection.channel()
        for name in QUEUES:
            await channel.queue_delete(name, if_unused=False, if_empty=False)
            await channel.queue_delete(f"{name}.dlq", if_unused=False, if_empty=False)
        await channel.exchange_delete(settings.exchange)
        await channel.exchange_delete(settings.dead_letter_exchange)
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
