"""MarketDataRecorder over an in-memory repository: batches by size and time, bad payloads skipped, nothing lost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fakes.market_data import InMemoryMarketDataRepository
from tests.support.logs import captured_logs
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.application.messages.signals import CANDLE
from tradewind.domain.candles import Candle
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


def trade(i: int) -> TradeTick:
    return TradeTick(BTC, f"t{i}", Decimal("65000.1") + i, Decimal("0.001"), Side.SELL, T0 + i)


def mid(i: int) -> MidPrice:
    return MidPrice(BTC, Decimal("65000.05") + i, Decimal("65000") + i, Decimal("65000.1") + i, T0 + i)


@pytest.fixture
def repo() -> InMemoryMarketDataRepository:
    return InMemoryMarketDataRepository()


async def publish_trades(bus: InMemoryBus, numbers: range) -> None:
    for i in numbers:
        await bus.publish(BTC.topic("trade"), trade_to_payload(trade(i)))


async def test_full_batches_are_written_at_once_and_the_rest_when_the_interval_passes(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    clock = SimClock()
    recorder = MarketDataRecorder(bus, repo, clock, RecorderSettings(batch_size=10, flush_interval_s=5))
    await recorder.start()

    await publish_trades(bus, range(25))
    await wait_for(lambda: recorder.stats.received == 25)

    assert len(await repo.trades(BTC)) == 20 and recorder.pending == 5
    await clock.advance(5)
    await wait_for(lambda: recorder.pending == 0)
    assert await repo.trades(BTC) == [trade(i) for i in range(25)]
    assert repo.writes == 3
    await recorder.stop()


async def test_malformed_payloads_are_counted_and_logged_and_the_rest_recorded(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=100))
    await recorder.start()
    bad_price = {**trade_to_payload(trade(1)), "price": 65001.1}  # a float: money never travels as one

    with captured_logs() as logs:
        await bus.publish(BTC.topic("trade"), trade_to_payload(trade(0)))
        await bus.publish(BTC.topic("trade"), {"not": "a trade"})
        await bus.publish(BTC.topic("trade"), bad_price)
        await bus.publish(BTC.topic("mid"), mid_to_payload(mid(2)))
        await wait_for(lambda: recorder.stats.received + recorder.stats.malformed == 4)
        await recorder.stop()

    assert (recorder.stats.received, recorder.stats.malformed, recorder.stats.written) == (2, 2, 2)
    assert await repo.trades(BTC) == [trade(0)] and await repo.mids(BTC) == [mid(2)]
    assert [e["topic"] for e in logs if e["event"] == "recorder.malformed"] == [BTC.topic("trade")] * 2


async def test_rows_wait_while_the_database_is_down_and_are_written_once_it_is_back(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    clock = SimClock()
    recorder = MarketDataRecorder(bus, repo, clock, RecorderSettings(batch_size=10, flush_interval_s=1))
    await recorder.start()
    repo.down = True

    with captured_logs():
        await publish_trades(bus, range(15))
        await wait_for(lambda: recorder.stats.received == 15)
        await clock.advance(1)
        await wait_for(lambda: recorder.stats.write_errors >= 1)
    assert recorder.pending == 15 and await repo.trades(BTC) == []

    repo.down = False
    await clock.advance(1)
    await wait_for(lambda: recorder.pending == 0)
    assert await repo.trades(BTC) == [trade(i) for i in range(15)]  # in order, none twice
    await recorder.stop()


async def test_stop_writes_what_is_still_buffered(bus: InMemoryBus, repo: InMemoryMarketDataRepository) -> None:
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=100, flush_interval_s=60))
    await recorder.start()
    await publish_trades(bus, range(3))
    await wait_for(lambda: recorder.stats.received == 3)

    await recorder.stop()

    assert await repo.trades(BTC) == [trade(i) for i in range(3)] and recorder.pending == 0


async def test_candles_are_recorded_per_interval_and_can_be_switched_off(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    start_ms = T0 // 1_000_000
    price = Decimal("65000.1")
    candles = [Candle(BTC, m, start_ms, price, price, price, price, Decimal(1), price, 1) for m in (1, 5)]
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=100, flush_interval_s=60))
    without = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(kinds=("trade", "mid", "book")))
    await recorder.start()
    await without.start()
    for candle in candles:
        await bus.publish(candle.topic(), CANDLE.encode(candle))
    await wait_for(lambda: recorder.stats.received == 2)

    await recorder.stop()
    await without.stop()

    assert [await repo.candles(BTC, m) for m in (1, 5)] == [[candles[0]], [candles[1]]]
    assert without.stats.received == 0


async def test_storing_orders_without_an_order_repository_is_refused(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    with pytest.raises(ValueError, match="no order repository"):
        MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(dump_orders_to_db=True))


async def test_book_snapshots_are_stored_at_most_once_per_interval_per_instrument(
    bus: InMemoryBus, repo: InMemoryMarketDataRepository
) -> None:
    recorder = MarketDataRecorder(bus, repo, SimClock(), RecorderSettings(batch_size=1, book_interval_s=1.0))
    await recorder.start()
    level = ((Decimal("65000"), Decimal("1")),)
    eth = InstrumentRef("sim", Category.SPOT, "ETHUSDT", "ETH")
    # Every 300 ms for 2.4 s on BTC: kept at 0, 1.2 and 2.4 s (each at least 1 s after the last kept); ETH kept.
    for i in range(9):
        await bus.publish(BTC.topic("book"), book_to_payload(BookSnapshot(BTC, i, level, level, T0 + i * 300_000_000)))
    await bus.publish(eth.topic("book"), book_to_payload(BookSnapshot(eth, 1, level, level, T0 + 100)))
    await wait_for(lambda: recorder.stats.received == 10)
    await recorder.stop()
    assert [b.seq for b in await repo.books(BTC)] == [0, 4, 8]
    assert len(await repo.books(eth)) == 1
    assert recorder.stats.thinned == 6
