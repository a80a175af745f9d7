"""LakeSink over an in-memory lake: files rolled by rows and by time, messages acknowledged only once written."""

from __future__ import annotations

import pytest

from tests.fakes.lake import InMemoryLake
from tests.support.lake import BTC, mid, trade
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.lake.sink import LakeSink, SinkPolicy
from tradewind.domain.market import mid_to_payload, trade_to_payload

POLICY = SinkPolicy(kinds=("trade", "mid"), queue="lake.md", rows_per_file=10, roll_interval_s=60, retry_interval_s=5)


@pytest.fixture
def lake() -> InMemoryLake:
    return InMemoryLake()


async def publish_trades(bus: InMemoryBus, numbers: range) -> None:
    for i in numbers:
        await bus.publish(BTC.topic("trade"), trade_to_payload(trade(i)))


async def test_a_file_rolls_at_rows_per_file_or_at_the_interval_and_only_written_messages_are_acknowledged(
    bus: InMemoryBus, lake: InMemoryLake
) -> None:
    clock = SimClock()
    sink = LakeSink(bus, lake, clock, POLICY)
    await sink.start()

    await publish_trades(bus, range(25))
    await bus.publish(BTC.topic("mid"), mid_to_payload(mid(1)))
    await wait_for(lambda: sink.stats.received == 26)

    assert len(lake.rows["md.trade"]) == 20 and sink.pending == 6
    assert bus.delivered == 20  # the six unwritten messages are still held, unacknowledged
    await clock.advance(60)
    await wait_for(lambda: bus.delivered == 26)
    assert lake.rows["md.trade"] == [trade(i) for i in range(25)] and lake.rows["md.mid"] == [mid(1)]
    await sink.stop()


async def test_a_malformed_or_inexact_message_is_dead_lettered_and_never_written(
    bus: InMemoryBus, lake: InMemoryLake
) -> None:
    sink = LakeSink(bus, lake, SimClock(), POLICY)
    await sink.start()

    await bus.publish(BTC.topic("trade"), {**trade_to_payload(trade(1)), "price": "abc"})
    await bus.publish(BTC.topic("trade"), trade_to_payload(trade(2, qty="0.0000000000000000001")))
    await publish_trades(bus, range(3, 13))
    await wait_for(lambda: sink.stats.dead_lettered == 2 and bus.delivered == 10)

    dead = await bus.dead_letters("lake.md")
    assert [m.payload["trade_id"] for m in dead] == ["t1", "t2"]
    assert lake.rows["md.trade"] == [trade(i) for i in range(3, 13)]
    await sink.stop()


async def test_while_the_lake_is_down_messages_stay_unacknowledged_and_are_written_once_it_is_back(
    bus: InMemoryBus, lake: InMemoryLake
) -> None:
    clock = SimClock()
    sink = LakeSink(bus, lake, clock, POLICY)
    await sink.start()
    lake.down = True

    await publish_trades(bus, range(10))
    await wait_for(lambda: sink.stats.write_errors == 1)
    assert bus.delivered == 0 and sink.pending == 10

    lake.down = False
    await clock.advance(5)  # the retry interval, not the 60 s roll
    await wait_for(lambda: bus.delivered == 10)
    assert lake.rows["md.trade"] == [trade(i) for i in range(10)]
    await sink.stop()


async def test_a_redelivered_message_is_acknowledged_without_a_second_row(bus: InMemoryBus, lake: InMemoryLake) -> None:
    sink = LakeSink(bus, lake, SimClock(), POLICY)
    await sink.start()
    await publish_trades(bus, range(10))
    await publish_trades(bus, range(5, 15))  # a crashed peer's unacknowledged half, delivered again
    await wait_for(lambda: sink.stats.received == 20)
    await sink.stop()

    assert lake.rows["md.trade"] == [trade(i) for i in range(15)]
    assert (sink.stats.written, sink.stats.duplicates, bus.delivered) == (15, 5, 20)
