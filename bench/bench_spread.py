"""The spread workflow's speed: book events per second through the signal engine, and the ACK round trip.

Run: ``.venv/bin/python -m bench.bench_spread [--books 50000] [--requests 2000] [--rabbitmq-url URL]``.

* **books/s**: ``md.book`` payloads of a BTC spot/perp group (top 50 levels, no opportunity, so no order is sent)
  handed to the engine's bus handler: decode, keep the book, evaluate both directions of the group.
* **ACK round trip**: one spread order at a time, the signal side's typed request to the trading engine (simulated
  mode; exposure checks, PnL, and without a database or with the write of the spread, the request and both legs to
  SQLite in one transaction) and back, over the in-memory bus and over RabbitMQ (both ends in this process, a
  unique exchange): p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.logging import configure_logging
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.spread_repository import SqlSpreadRepository
from tradewind.application.messages import codec
from tradewind.application.messages.market import BOOK
from tradewind.application.messages.spread import ORDERS_CALL
from tradewind.application.ports.bus import Bus, Message
from tradewind.application.ports.spread import SpreadRepository, SpreadWrite, StoredSpreads
from tradewind.application.spread.settings import SpreadSettings
from tradewind.application.spread.signal import SignalEngine
from tradewind.application.spread.trading import TradingEngine
from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import SpreadAction, SpreadOrder, SpreadReply
from tradewind.domain.spread.position import Spread
from tradewind.domain.values import Category

SPOT = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")
PERP = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
_INSTRUMENTS = {(i.category, i.symbol): i for i in default_instruments()}
SETTINGS = SpreadSettings(max_risk_open_position=Decimal(10**12), max_total_exposure=Decimal(10**12))


def _book(ref: InstrumentRef, seq: int, mid: int) -> dict[str, object]:
    bids = tuple((Decimal(mid - i), Decimal("0.5")) for i in range(1, 51))
    asks = tuple((Decimal(mid + i), Decimal("0.5")) for i in range(1, 51))
    return BOOK.encode(BookSnapshot(ref, seq, bids, asks, 0))


async def books_per_second(count: int) -> float:
    clock = SimClock()

    async def never(order: SpreadOrder) -> SpreadReply:
        raise AssertionError("no opportunity in these books: nothing is sent")

    engine = SignalEngine(clock, SETTINGS, lambda r: _INSTRUMENTS.get((r.category, r.symbol)), never)
    handler = engine._on_message  # what the bus calls for each md.book message
    messages = [Message(ref.topic("book"), _book(ref, i, 65_000 + i % 7)) for i in range(64) for ref in (SPOT, PERP)]
    start = time.perf_counter()
    for i in range(count):
        await handler(messages[i % len(messages)])
        if i % 256 == 0:
            await engine.settle()
    await engine.settle()
    assert engine.stats.requests == 0
    return count / (time.perf_counter() - start)


class MemoryRepository:
    """No database: what the round trip costs without the write."""

    async def write(self, change: SpreadWrite) -> None:
        return None

    async def save_intent(self, order: SpreadOrder) -> None:
        return None

    async def load(self) -> StoredSpreads:
        return StoredSpreads()

    async def spreads(self, *, open_only: bool = False, limit: int = 100) -> list[Spread]:
        return []


_conforms: SpreadRepository = MemoryRepository()


async def round_trips(bus: Bus, count: int, repository: SpreadRepository) -> list[float]:
    """Sequential open/close orders through the bus; each latency in microseconds."""
    trading = TradingEngine(repository, SimClock(), SETTINGS)
    await trading.start()
    served = await codec.serve(bus, ORDERS_CALL, trading.handle, trading.refuse_malformed)
    pair = Pair(SPOT, PERP)
    latencies = []
    try:
        for i in range(count):
            action = SpreadAction.OPEN if i % 2 == 0 else SpreadAction.CLOSE
            spread_id = f"bench-{i // 2}"
            order = SpreadOrder(uuid.uuid4().hex[:24], spread_id, action, pair, Decimal("0.001"), Decimal(65_000),
                                Decimal(65_010), 0)  # fmt: skip
            start = time.perf_counter()
            reply = await codec.request(bus, ORDERS_CALL, order, timeout=10)
            latencies.append((time.perf_counter() - start) * 1e6)
            assert reply.acked, reply.reason
    finally:
        await served.cancel()
    return latencies


def _row(where: str, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return f"| {where} | {len(latencies):,} | {q[49]:,.0f} | {q[98]:,.0f} |"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--books", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rabbitmq-url", default="amqp://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()
    configure_logging("warning", json=True)  # one info line per ACK would be most of what is measured
    print(f"signal engine: {await books_per_second(args.books):,.0f} md.book events/s (top 50, decode included)")
    print("| bus | requests | ACK p50 µs | ACK p99 µs |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        database.upgrade()
        memory = InMemoryBus()
        await memory.start()
        print(_row("InMemoryBus, no database", await round_trips(memory, args.requests, MemoryRepository())))
        sqlite = SqlSpreadRepository(database)
        print(_row("InMemoryBus, SQLite write", await round_trips(memory, args.requests, sqlite)))
        await memory.close()
        try:
            await rabbit(args, database)
        except Exception as exc:
            print(f"RabbitMQ part failed: {exc!r}", file=sys.stderr)
        database.dispose()


async def rabbit(args: argparse.Namespace, database: Database) -> None:
    import aio_pika

    from tradewind.adapters.bus.rabbitmq import RabbitMqBus, RabbitMqSettings

    run = uuid.uuid4().hex[:8]
    settings = RabbitMqSettings(
        url=args.rabbitmq_url, exchange=f"bench.spread.{run}", dead_letter_exchange=f"bench.spread-dead.{run}"
    )
    bus = RabbitMqBus(settings)
    await bus.start()
    try:
        latencies = await round_trips(bus, args.requests // 2, MemoryRepository())
        print(_row("RabbitMqBus, no database", latencies))
        latencies = await round_trips(bus, args.requests // 2, SqlSpreadRepository(database))
        print(_row("RabbitMqBus, SQLite write", latencies))
    finally:
        await bus.close()
        connection = await aio_pika.connect(settings.url)
        try:
            channel = await connection.channel()
            for name in (f"rpc:{ORDERS_CALL.topic}", f"rpc:{ORDERS_CALL.topic}.dlq"):
                await channel.queue_delete(name, if_unused=False, if_empty=False)
            await channel.exchange_delete(settings.exchange)
            await channel.exchange_delete(settings.dead_letter_exchange)
        finally:
            await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
