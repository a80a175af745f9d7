"""Readiness against the real broker: the bus says when its connection is gone, the queue probe reads fresh figures
after its connection was dropped (the queue-lag gauge does not stick at its last value)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.rabbitmq import close_connections
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.queue_depth import PROBE_CONNECTION, QueueDepthProbe
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.application.ports.bus import BusError, Message

QUEUE = "lag.q"


def _vhost(settings: RabbitMqSettings) -> str:
    return settings.url.rsplit("/", 1)[1]


@pytest.fixture
async def probe(rabbit_settings: RabbitMqSettings) -> AsyncIterator[QueueDepthProbe]:
    the_probe = QueueDepthProbe(rabbit_settings)
    await the_probe.start()
    yield the_probe
    await the_probe.close()


async def _ignore(_message: Message) -> None:
    pass


async def test_the_queue_depth_is_read_again_after_the_probes_connection_was_dropped(
    rabbit_bus: RabbitMqBus, probe: QueueDepthProbe, rabbit_settings: RabbitMqSettings, rabbitmqctl: str
) -> None:
    subscription = await rabbit_bus.subscribe("lag.#", _ignore, queue=QUEUE)
    await subscription.cancel()  # the durable queue stays and fills up
    for n in range(3):
        await rabbit_bus.publish("lag.tick", {"n": n})
    assert await eventually(lambda: probe.depth(QUEUE), lambda d: d == 3) == 3

    assert await close_connections(rabbitmqctl, _vhost(rabbit_settings), PROBE_CONNECTION) == 1
    for n in range(3, 7):
        await rabbit_bus.publish("lag.tick", {"n": n})

    async def read() -> int | None:
        try:
            return await probe.depth(QUEUE)
        except BusError:  # the read that finds the connection gone: the next one reconnects
            return None

    assert await eventually(read, lambda d: d == 7) == 7  # not stuck at 3
    assert probe.reconnects >= 1
    await probe.check()


async def test_the_bus_is_not_ready_while_its_connection_is_gone_and_ready_again_after(
    rabbit_bus: RabbitMqBus, rabbit_settings: RabbitMqSettings, rabbitmqctl: str
) -> None:
    rabbit_bus.check()

    def failing() -> bool:
        try:
            rabbit_bus.check()
        except BusError as exc:
            return "reconnecting" in str(exc) or "channel" in str(exc)
        return False

    closing = asyncio.create_task(close_connections(rabbitmqctl, _vhost(rabbit_settings), "tradewind-bus"))
    await wait_for(failing)  # seen while the robust connection restores itself
    assert await closing >= 1
    await wait_for(lambda: not failing())
    await rabbit_bus.publish("lag.tick", {"n": 0})  # and it works again


async def test_a_probe_never_started_is_not_ready(rabbit_settings: RabbitMqSettings) -> None:
    with pytest.raises(BusError, match="not started"):
        await QueueDepthProbe(rabbit_settings).check()
