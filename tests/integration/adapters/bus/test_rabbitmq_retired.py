"""Retired queues over RabbitMQ: an obsolete durable queue is deleted at start when empty; one holding messages is
kept (what it holds was acknowledged to its publishers), unbound so it grows no more, and named in a warning."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity

from tests.support.logs import captured_logs
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_retired import RetiredQueue, retire_queues
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings

OLD = RetiredQueue("spread.funding", "funding.payment.#")
PAYMENT = "funding.payment.sim.linear.BTCUSDT"


@pytest.fixture
async def raw(rabbit_settings: RabbitMqSettings) -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect(rabbit_settings.url)
    yield connection
    await connection.close()


async def _depth(raw: aio_pika.abc.AbstractConnection, name: str) -> int | None:
    channel = await raw.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return None
    depth = int(queue.declaration_result.message_count or 0)
    await channel.close()
    return depth


async def test_an_empty_retired_queue_and_its_dead_letters_are_deleted(
    rabbit_bus: RabbitMqBus, rabbit_settings: RabbitMqSettings, raw: aio_pika.abc.AbstractConnection
) -> None:
    await rabbit_bus.declare_queue(OLD.pattern, OLD.name)  # as the former consumer's subscription left it
    assert await _depth(raw, "spread.funding") == await _depth(raw, "spread.funding.dlq") == 0

    with captured_logs() as logs:
        left = await retire_queues(rabbit_settings, (OLD,))

    assert left == {"spread.funding": 0, "spread.funding.dlq": 0}
    assert await _depth(raw, "spread.funding") is None and await _depth(raw, "spread.funding.dlq") is None
    assert [e["queue"] for e in logs if e["event"] == "bus.retired_queue_deleted"] == [
        "spread.funding", "spread.funding.dlq",
    ]  # fmt: skip
    assert await retire_queues(rabbit_settings, (OLD,)) == {"spread.funding": None, "spread.funding.dlq": None}


async def test_a_retired_queue_holding_messages_is_kept_unbound_and_named_in_one_warning(
    rabbit_bus: RabbitMqBus, rabbit_settings: RabbitMqSettings, raw: aio_pika.abc.AbstractConnection
) -> None:
    await rabbit_bus.declare_queue(OLD.pattern, OLD.name)
    for n in range(2):
        await rabbit_bus.publish(PAYMENT, {"n": n})

    with captured_logs() as logs:
        left = await retire_queues(rabbit_settings, (OLD,))

    assert left == {"spread.funding": 2, "spread.funding.dlq": 0}
    (kept,) = [e for e in logs if e["event"] == "bus.retired_queue_kept"]
    assert (kept["queue"], kept["messages"], kept["log_level"]) == ("spread.funding", 2, "warning")
    assert kept["delete_with"] == "rabbitmqctl delete_queue spread.funding"
    await rabbit_bus.publish(PAYMENT, {"n": 2})  # unbound: the queue grows no more
    assert await _depth(raw, "spread.funding") == 2
    assert await _depth(raw, "spread.funding.dlq") is None  # its empty dead-letter queue went


async def test_an_unreachable_broker_is_logged_and_leaves_the_start_alone(rabbit_settings: RabbitMqSettings) -> None:
    away = rabbit_settings.model_copy(update={"url": "amqp://guest:guest@127.0.0.1:1/", "connect_timeout": 1.0})
    with captured_logs() as logs:
        assert await retire_queues(away, (OLD,)) == {}
    assert [e["event"] for e in logs if e["event"].startswith("bus.retire")] == ["bus.retire_skipped"]
