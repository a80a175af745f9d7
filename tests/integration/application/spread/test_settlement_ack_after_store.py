"""A funding settlement is acknowledged on the bus only once it is stored: a trading engine that dies while the
database is down leaves it in the queue, and the restarted engine counts it once."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from tests.fakes.spread_repository import FakeSpreadRepository
from tests.support.spread import PERP, SPOT, settings
from tests.support.waiting import wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.spread import SETTLEMENT, SETTLEMENT_KIND, settlement_topic
from tradewind.application.ports.bus import Message
from tradewind.application.spread.trading import TradingEngine
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.orders import FundingSettlement, SpreadAction, SpreadOrder
from tradewind.domain.values import Category

QUEUE = "spread.funding_rate.acktest"


async def _consuming(bus: RabbitMqBus, engine: TradingEngine) -> None:
    async def on_settlement(message: Message) -> None:
        await engine.on_settlement(SETTLEMENT.decode(message.payload))

    await bus.subscribe(f"{SETTLEMENT_KIND}.#", on_settlement, queue=QUEUE)


async def test_a_settlement_handled_while_the_database_is_down_survives_a_crash_and_counts_once(
    rabbit_settings: RabbitMqSettings,
) -> None:
    repo = FakeSpreadRepository()  # the database both engines share
    clock = SimClock()
    first = TradingEngine(repo, clock, settings())
    await first.start()
    opening = SpreadOrder("r1", "s1", SpreadAction.OPEN, Pair(PERP, SPOT), Decimal("0.01"), Decimal(60_000),
                          Decimal(60_050), 0)  # fmt: skip
    await first.handle(opening)
    settled = FundingSettlement(
        "settle-1", "sim", Category.LINEAR, "BTCUSDT", Decimal("0.0001"), Decimal("60000.5"), clock.now_ns()
    )
    first_bus = RabbitMqBus(rabbit_settings)
    await first_bus.start()
    await _consuming(first_bus, first)
    publisher = RabbitMqBus(rabbit_settings)
    await publisher.start()
    repo.down = True
    await publisher.publish(settlement_topic(settled), SETTLEMENT.encode(settled))
    await wait_for(lambda: first.buffered_writes == 1 and first.stats.write_failures >= 1)
    assert first.spreads["s1"].funding == Decimal("-0.06000050") and "settle-1" not in repo.funding
    await first_bus.close()  # the crash: the connection goes, the engine is dropped with its write unflushed

    repo.down = False
    second = TradingEngine(repo, clock, settings())
    await second.start()
    second_bus = RabbitMqBus(rabbit_settings)
    await second_bus.start()
    try:
        await _consuming(second_bus, second)
        await wait_for(lambda: "settle-1" in repo.funding)
        await publisher.publish(settlement_topic(settled), SETTLEMENT.encode(settled))  # a venue repeating it
        await wait_for(lambda: second_bus.delivered == 2)
    finally:
        await second_bus.close()
        with contextlib.suppress(Exception):
            await publisher.close()
    assert repo.funding["settle-1"].amount == Decimal("-0.06000050")
    assert repo.rows["s1"].funding == Decimal("-0.06000050") == second.spreads["s1"].funding  # counted once
    assert second.stats.funding_applied == 1 and second.buffered_writes == 0
