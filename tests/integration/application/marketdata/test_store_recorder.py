"""MarketDataRecorder with the real InMemoryBus and SQL repositories: every md event becomes one row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.waiting import WaitUntil
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.domain.market import (
    BookSnapshot,
    InstrumentRef,
    MidPrice,
    TradeTick,
    book_to_payload,
    mid_to_payload,
    trade_to_payload,
)
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
ETH_PERP = InstrumentRef("sim", Category.LINEAR, "ETHUSDT", "ETH")


def trade(i: int, ref: InstrumentRef = BTC, price: str = "65000.1") -> TradeTick:
    return TradeTick(ref, f"t{i}", Decimal(price) + i, Decimal("0.001"), Side.SELL, T0 + i)


def mid(i: int) -> MidPrice:
    return MidPrice(ETH_PERP, Decimal("3000.05") + i, Decimal("3000") + i, Decimal("3000.1") + i, T0 + i)


def book(i: int) -> BookSnapshot:
    return BookSnapshot(BTC, i, ((Decimal("64999.9"), Decimal(i + 1)),), ((Decimal("65000.1"), Decimal("2")),), T0 + i)


async def test_every_published_event_becomes_a_row_after_stop(
    bus: InMemoryBus, database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlMarketDataRepository(database)
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=100, flush_interval_s=60))
    await recorder.start()
    trades, mids, books = [trade(i) for i in range(250)], [mid(i) for i in range(40)], [book(i) for i in range(15)]

    for t in trades:
        await bus.publish(BTC.topic("trade"), trade_to_payload(t))
    for m in mids:
        await bus.publish(ETH_PERP.topic("mid"), mid_to_payload(m))
    for b in books:
        await bus.publish(BTC.topic("book"), book_to_payload(b))
    await wait_until(lambda: recorder.stats.received == 305, what="all events received")
    await recorder.stop()

    assert await repo.trades(BTC) == trades
    assert await repo.mids(ETH_PERP) == mids
    assert await repo.books(BTC) == books
    assert (recorder.stats.written, recorder.pending, recorder.stats.malformed) == (305, 0, 0)


async def test_malformed_payloads_are_counted_and_the_rest_recorded(
    bus: InMemoryBus, sqlite_database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlMarketDataRepository(sqlite_database)
    recorder = MarketDataRecorder(bus, repo, SimClock())
    await recorder.start()
    good = trade(1)
    bad_payloads = [
        {**trade_to_payload(trade(2)), "price": 65000.1},  # a float price
        {**trade_to_payload(trade(3)), "taker_side": "Up"},
        {"symbol": "BTCUSDT"},
        {**mid_to_payload(mid(4)), "ts_ns": "soon"},
    ]

    await bus.publish(BTC.topic("trade"), trade_to_payload(good))
    for payload in bad_payloads[:3]:
        await bus.publish(BTC.topic("trade"), payload)
    await bus.publish(ETH_PERP.topic("mid"), bad_payloads[3])
    await wait_until(lambda: recorder.stats.received + recorder.stats.malformed == 5, what="5 events handled")
    await recorder.stop()

    assert recorder.stats.malformed == 4
    assert await repo.trades(BTC) == [good]


async def test_a_row_the_database_refuses_is_dropped_alone(
    bus: InMemoryBus, sqlite_database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlMarketDataRepository(sqlite_database)
    recorder = MarketDataRecorder(bus, repo, SimClock())
    too_precise = trade(2, price="1.0000000000000000001")  # decodes fine, but NUMERIC(38, 18) cannot hold it
    await recorder.start()

    for t in (trade(1), too_precise, trade(3)):
        await bus.publish(BTC.topic("trade"), trade_to_payload(t))
    await wait_until(lambda: recorder.stats.received == 3, what="3 trades received")
    await recorder.stop()

    assert [t.trade_id for t in await repo.trades(BTC)] == ["t1", "t3"]
    assert (recorder.stats.written, recorder.stats.malformed) == (2, 1)


async def test_rows_are_flushed_when_the_interval_passes(
    bus: InMemoryBus, sqlite_database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlMarketDataRepository(sqlite_database)
    clock = SimClock()
    recorder = MarketDataRecorder(bus, repo, clock, RecorderSettings(batch_size=10_000, flush_interval_s=2.0))
    await recorder.start()
    for i in range(5):
        await bus.publish(BTC.topic("trade"), trade_to_payload(trade(i)))
    await wait_until(lambda: recorder.stats.received == 5, what="5 trades received")

    await clock.advance(1.0)
    assert recorder.pending == 5 and await repo.trades(BTC) == []

    await clock.advance(1.0)
    await wait_until(lambda: recorder.pending == 0 and recorder.stats.written == 5, what="interval flush")
    assert len(await repo.trades(BTC)) == 5
    await recorder.stop()


async def test_rows_are_kept_through_a_failed_write_and_stored_after(
    bus: InMemoryBus, sqlite_database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlMarketDataRepository(sqlite_database)
    recorder = MarketDataRecorder(bus, repo, SimClock())
    await recorder.start()
    for i in range(3):
        await bus.publish(BTC.topic("trade"), trade_to_payload(trade(i)))
    await wait_until(lambda: recorder.stats.received == 3, what="3 trades received")
    sqlite_database.downgrade("base")  # the tables are gone: every write fails

    with pytest.raises(Exception, match="no such table"):
        await recorder.flush()
    assert (recorder.pending, recorder.stats.write_errors) == (3, 1)

    sqlite_database.upgrade()
    assert await recorder.flush() == 3
    assert [t.trade_id for t in await repo.trades(BTC)] == ["t0", "t1", "t2"]
    await recorder.stop()
