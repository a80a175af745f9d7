"""The trading-engine service's start over RabbitMQ deletes the spread workflow's former funding queue when empty."""

from __future__ import annotations

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.clock import SimClock
from tradewind.bootstrap import registry
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.spread import RETIRED_QUEUES
from tradewind.settings import Settings


async def test_the_trading_engine_start_deletes_the_empty_former_funding_queue(
    rabbit_bus: RabbitMqBus, rabbit_settings: RabbitMqSettings
) -> None:
    assert RETIRED_QUEUES == (("spread.funding", "funding.payment.#"),)
    await rabbit_bus.declare_queue("funding.payment.#", "spread.funding")  # what the former release left
    settings = Settings.model_validate(
        {"storage": {"url": "postgresql+psycopg://tradewind@127.0.0.1/tradewind"},
         "distributed": {"bus": {"url": rabbit_settings.url}}}
    )  # fmt: skip
    parts = registry.builder("trading-engine")(Platform(settings, SimClock(), InMemoryBus(), distributed=True))
    (retire,) = [c for c in parts.components if c.name == "retired-queues"]
    assert retire.start is not None
    await retire.start()
    connection = await aio_pika.connect(rabbit_settings.url)
    try:
        for name in ("spread.funding", "spread.funding.dlq"):
            channel = await connection.channel()
            with pytest.raises(ChannelNotFoundEntity):  # gone
                await channel.declare_queue(name, passive=True)
    finally:
        await connection.close()
