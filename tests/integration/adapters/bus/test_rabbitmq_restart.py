"""A RabbitMQ restart in the middle of a stream: nothing confirmed is lost, nothing is processed twice.

Marked ``serial``: stopping the broker disturbs every other RabbitMQ test running at the same time.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.rabbitmq import Broker
from tests.support.waiting import WAIT, wait_for
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.ports.bus import BusError, Message

pytestmark = [pytest.mark.serial, pytest.mark.timeout(300)]

N = 2000
HALF = 1000
HELD_AT = 100  # the consumer holds this message, processed but unacknowledged, while the broker stops
RECOVERY = 120.0  # bound on the broker's restart plus the catch-up


async def test_broker_restart_mid_stream_loses_no_confirmed_message_and_processes_none_twice(
    rabbit_settings: RabbitMqSettings, broker: Broker
) -> None:
    producer_bus, consumer_bus = RabbitMqBus(rabbit_settings), RabbitMqBus(rabbit_settings)  # two processes
    processed: list[int] = []
    seen: set[int] = set()
    duplicates = 0
    gate = asyncio.Event()

    async def idempotent(m: Message) -> None:
        nonlocal duplicates
        n = int(m.payload["n"])
        if n in seen:
            duplicates += 1
            return
        seen.add(n)
        processed.append(n)  # the side effect, done once per id
        if len(processed) == HELD_AT:
            await gate.wait()

    confirmed: list[int] = []
    failed: list[int] = []
    half_sent, broker_down = asyncio.Event(), asyncio.Event()

    async def produce() -> None:
        for n in range(N):
            if n == HALF:
                half_sent.set()
                await broker_down.wait()  # the second half is published into the outage
            try:
                await producer_bus.publish("stream.tick", {"n": n})
                confirmed.append(n)
            except BusError:
                failed.append(n)

    producer: asyncio.Task[None] | None = None
    try:
        await consumer_bus.subscribe("stream.tick", idempotent, queue="stream")
        producer = asyncio.create_task(produce())
        await asyncio.wait_for(half_sent.wait(), WAIT)
        await wait_for(lambda: len(processed) == HELD_AT)
        await broker.stop_app()
        broker_down.set()
        gate.set()  # its ack can no longer reach the broker, which will deliver that message again
        await broker.start_app()
        await asyncio.wait_for(producer, RECOVERY)
        await wait_for(lambda: seen.issuperset(confirmed), timeout=RECOVERY)
    finally:
        gate.set()
        if producer is not None:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)
        await producer_bus.close()
        await consumer_bus.close()

    assert failed == []  # publish waited through the restart instead of giving up
    assert confirmed == list(range(N))
    assert sorted(processed) == list(range(N))  # none lost, none processed twice
    assert duplicates >= 1  # the held message came again after the restart and was recognised
    assert producer_bus.reconnects >= 1
    assert consumer_bus.reconnects >= 1
