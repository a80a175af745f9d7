"""The storage service's durability over RabbitMQ: a message is acknowledged only once its row is stored, so a
recorder that dies while the database is down loses nothing; the next one stores every row."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.waiting import wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.domain.market import InstrumentRef, TradeTick, trade_to_payload
from tradewind.domain.values import Category, Side

REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT")
TRADES = 25


def _settings(ack_after_store: bool) -> RecorderSettings:
    return RecorderSettings(
        kinds=("trade",), queue="storage.acktest", batch_size=10, flush_interval_s=0.05, ack_after_store=ack_after_store
    )


@pytest.mark.parametrize(("ack_after_store", "recovered"), [(True, TRADES), (False, 0)])
async def test_a_recorder_dying_while_the_database_is_down_loses_no_acknowledged_message(
    rabbit_settings: RabbitMqSettings, tmp_path: Path, ack_after_store: bool, recovered: int
) -> None:
    down = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")  # nothing listens there: every write fails
    first_bus = RabbitMqBus(rabbit_settings)
    await first_bus.start()
    first = MarketDataRecorder(first_bus, SqlMarketDataRepository(down), WallClock(), _settings(ack_after_store))
    await first.start()
    publisher = RabbitMqBus(rabbit_settings)
    await publisher.start()
    for n in range(TRADES):
        tick = TradeTick(
            REF, f"t{n}", Decimal("60000.1") + n, Decimal("0.001"), Side.BUY, 1_700_000_000_000_000_000 + n
        )
        await publisher.publish(REF.topic("trade"), trade_to_payload(tick))
    # Acknowledging after the store, only a batch is taken in while the database is down; the broker keeps the rest.
    in_memory = 10 if ack_after_store else TRADES
    await wait_for(lambda: first.stats.received == in_memory and first.stats.write_errors >= 1)
    await first_bus.close()  # the crash: the connection goes, no final flush
    with contextlib.suppress(Exception):
        await first.stop()  # (its last write fails too: the database is still down)

    up = Database(f"sqlite:///{tmp_path / 'up.db'}")
    up.upgrade()
    repo = SqlMarketDataRepository(up)
    second_bus = RabbitMqBus(rabbit_settings)
    await second_bus.start()
    second = MarketDataRecorder(second_bus, repo, WallClock(), _settings(ack_after_store))
    await second.start()
    try:
        if recovered:
            await wait_for(lambda: second.stats.written == recovered)
        else:
            await publisher.publish("md.trade.sim.spot.ETHUSDT", trade_to_payload(
                TradeTick(InstrumentRef("sim", Category.SPOT, "ETHUSDT"), "probe", Decimal(1), Decimal(1), Side.BUY, 1)
            ))  # fmt: skip
            await wait_for(lambda: second.stats.written == 1)  # the queue held only what came after the crash
    finally:
        await second.stop()
        await second_bus.close()
        await publisher.close()
    stored = await repo.trades(REF)
    assert sorted(t.trade_id for t in stored) == sorted(f"t{n}" for n in range(recovered))
    up.dispose()
