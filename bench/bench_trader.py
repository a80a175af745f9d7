"""The trader (position manager): signals per second through it, and tick-to-order latency.

Run: ``.venv/bin/python -m bench.bench_trader [--signals 2000] [--ticks 2000] [--rabbitmq URL] [--postgres-url URL]
[--ticks-only]``; each figure is printed with the load average (``os.getloadavg``) before its run.

* **signals/s in-process**: BUY, then SELL, of 50 sources in turn (cooling period 0), each handled by
  ``TraderService.handle`` against the in-process venue (SimGateway) with the deals in a SQLite file: each signal is
  a few database round trips and one market order;
* **signals/s over RabbitMQ**: the same signals published on a fresh queue and consumed by the trader (skipped when
  the broker is not reachable);
* **tick-to-order**: a watched spot position at its stop-loss, then one ``md.trade`` below it published on the
  in-memory bus; the time from the publish to the close order reaching the venue, p50 / p99, with the deals in
  SQLite, in PostgreSQL (a fresh database made from ``--postgres-url`` and dropped after; skipped when the server is
  not reachable) and in memory (the trader's own part). The tick decides from the watched positions in memory, so
  the database is not on this path; each close's record is waited for before the next position opens. Beside each
  figure, the same over the ticks during which the kernel did not preempt the thread (no involuntary context
  switch): what the path costs when the machine's load does not interfere.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import SIGNAL
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.deals import DealRepository
from tradewind.application.trading.service import TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.orders import OrderIntent, OrderResult
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
SOURCES = 50


def venue(clock: SimClock) -> SimVenue:
    """Deep books around 60 000 on BTCUSDT spot and linear; a rich trader account."""
    rich = {"USDT": D(10**12), "BTC": D(10**6)}
    accounts = tuple(AccountSettings(api_key=k, api_secret=SecretStr(k), balances=rich) for k in ("maker", "trader"))
    the_venue = SimVenue([MatchingEngine(i) for i in default_instruments()], clock, VenueSettings(accounts=accounts))
    for category in (Category.SPOT, Category.LINEAR):
        for i in range(1, 50):
            for side, price in ((Side.SELL, 60_000 + i * 10), (Side.BUY, 60_000 - i * 10)):
                request = OrderRequest(category, "BTCUSDT", side, OrderType.LIMIT, D(80), D(price))
                the_venue.place_order("maker", request)
    return the_venue


def signal(n: int, action: Action, source: str, category: Category = Category.LINEAR, exchange: str = "sim") -> Signal:
    return Signal(
        f"sig-{n}", source, exchange, category, "BTCUSDT", action, D("1000"), None, None, 1, n * 60_000, D("60000"),
        (n + 1) * 60_000_000_000,
    )  # fmt: skip


def stream(n: int, exchange: str = "sim") -> list[Signal]:
    """BUY then SELL of each source in turn: every signal acts (opens or closes one position)."""
    out = []
    for i in range(n):
        source = f"src{i % SOURCES}"
        action = Action.BUY if (i // SOURCES) % 2 == 0 else Action.SELL
        out.append(signal(i, action, source, exchange=exchange))
    return out


def sqlite_deals(folder: Path) -> SqlDealRepository:
    return sql_deals(f"sqlite:///{folder / f'deals-{uuid.uuid4().hex}.db'}")


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str | None]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards; None when the server does not answer."""
    name = f"tw_bench_trader_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"tick-to-order (deals in PostgreSQL): skipped ({type(exc).__name__}: {exc})")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sql_deals(url: str) -> SqlDealRepository:
    database = Database(url)
    database.upgrade()
    return SqlDealRepository(database)


def preemptions() -> int:
    """How often the kernel has taken the CPU from this thread (involuntary context switches): a loaded machine's."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def trader(deals: DealRepository, bus: Bus, clock: SimClock, the_venue: SimVenue, name: str = "sim") -> TraderService:
    settings = TraderSettings(cooling_period_s=0, protection="watch", queue=f"bench.trader.{uuid.uuid4().hex}",
                              pattern=f"signal.trade.{name}.#")  # fmt: skip
    return TraderService(deals, {name: SimGateway(the_venue, "trader", name)}, bus, clock, settings)


async def bench_in_process(n: int, folder: Path) -> None:
    clock = SimClock()
    service = trader(sqlite_deals(folder), InMemoryBus(), clock, venue(clock))
    signals = stream(n)
    loaded = load()
    started = time.perf_counter()
    for s in signals:
        await service.handle(s)
    elapsed = time.perf_counter() - started
    await service.stop()
    opened = service.handled
    print(f"in-process: {n:,} signals in {elapsed:.2f} s: {n / elapsed:,.0f} signals/s "
          f"(deals in SQLite; {dict((k.value, v) for k, v in opened.items() if v)}; {loaded})")  # fmt: skip


async def bench_rabbitmq(n: int, url: str, folder: Path) -> None:
    from tradewind.adapters.bus.rabbitmq import RabbitMqBus
    from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
    from tradewind.application.ports.bus import BusError

    bus = RabbitMqBus(RabbitMqSettings(url=url))
    try:
        await bus.start()
    except BusError as exc:
        print(f"over RabbitMQ: skipped ({exc})")
        return
    clock = SimClock()
    name = f"b{uuid.uuid4().hex[:12]}"
    service = trader(sqlite_deals(folder), bus, clock, venue(clock), name)
    signals = stream(n, exchange=name)
    await bus.declare_queue(service.settings.pattern, service.settings.queue)
    for s in signals:  # queued before the consumer starts: the figure is the consumer's
        await bus.publish(s.topic(), SIGNAL.encode(s))
    loaded = load()
    started = time.perf_counter()
    await service.start()
    while sum(service.handled.values()) < n:  # noqa: ASYNC110 - polls the consumer's counter, no event to wait on
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await service.stop()
    await bus.close()
    print(f"over RabbitMQ: {n:,} signals in {elapsed:.2f} s: {n / elapsed:,.0f} signals/s (deals in SQLite; {loaded})")


async def bench_tick_to_order(n: int, deals_factory: Callable[[], DealRepository], label: str) -> None:
    clock = SimClock()
    bus = InMemoryBus()
    await bus.start()
    the_venue = venue(clock)
    service = trader(deals_factory(), bus, clock, the_venue)
    gateway = service._gateways["sim"]
    sent_at: list[float] = []
    place = gateway.place_order

    async def timed(intent: OrderIntent) -> OrderResult:
        if intent.side is Side.SELL:
            sent_at.append(time.perf_counter())
        return await place(intent)

    gateway.place_order = timed  # type: ignore[method-assign]
    ref = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")
    latencies: list[float] = []
    calm: list[float] = []  # of the ticks during which the thread was not preempted
    loaded = load()
    gc.collect()
    gc.disable()  # the figure is the path's, not a collection's that happens to fall in it
    for i in range(n):
        opened = await service.handle(signal(i, Action.BUY, f"tick{i}", Category.SPOT))
        assert opened.deal is not None and opened.deal.stop_loss is not None
        tick = TradeTick(ref, f"t{i}", opened.deal.stop_loss - 1, D("0.001"), Side.SELL, clock.now_ns())
        before = len(sent_at)
        switched = preemptions()
        published = time.perf_counter()
        await bus.publish("md.trade.sim.spot.BTCUSDT", TRADE.encode(tick))
        while len(sent_at) == before:  # noqa: ASYNC110 - yields until the fan-out handler has sent the order
            await asyncio.sleep(0)
        latencies.append(sent_at[-1] - published)
        if preemptions() == switched:
            calm.append(latencies[-1])
        while service.watched:  # noqa: ASYNC110 - the close's record (after the order) is written before the next
            await asyncio.sleep(0)  # position opens; no event to wait on
    gc.enable()
    await service.stop()
    await bus.close()
    p50, p99 = percentiles(latencies)
    calm50, calm99 = percentiles(calm)
    print(f"tick-to-order ({label}): {n:,} ticks: p50 {p50 * 1e6:,.0f} us, p99 {p99 * 1e6:,.0f} us "
          f"(target p99 < 1000 us; {loaded}); the {len(calm):,} ticks not preempted by the kernel: "
          f"p50 {calm50 * 1e6:,.0f} us, p99 {calm99 * 1e6:,.0f} us")  # fmt: skip


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 (nan of no values)."""
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]


def in_memory_deals() -> DealRepository:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fakes.deals import FakeDeals  # the port's in-memory implementation: the trader's own cost

    return FakeDeals()


async def main(args: argparse.Namespace) -> None:
    configure_logging("warning")  # the trader logs every open and close: the figure is not the console's
    with tempfile.TemporaryDirectory() as folder:
        if not args.ticks_only:
            await bench_in_process(args.signals, Path(folder))
            await bench_rabbitmq(args.signals, args.rabbitmq, Path(folder))
        await bench_tick_to_order(args.ticks, lambda: sqlite_deals(Path(folder)), "deals in SQLite")
    with fresh_postgres(args.postgres_url) as url:
        if url is not None:
            await bench_tick_to_order(args.ticks, lambda: sql_deals(url), "deals in PostgreSQL")
    await bench_tick_to_order(args.ticks, in_memory_deals, "deals in memory")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=2000)
    parser.add_argument("--rabbitmq", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a database of the server to create the bench's own database from")  # fmt: skip
    parser.add_argument("--ticks-only", action="store_true", help="only the tick-to-order figures")
    asyncio.run(main(parser.parse_args()))
