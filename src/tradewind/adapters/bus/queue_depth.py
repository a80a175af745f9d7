"""How many messages wait in a service's queues, read with a passive queue declare on a connection of its own."""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from aio_pika.exceptions import ChannelNotFoundEntity

from tradewind.adapters.bus.rabbitmq import amqp_queue_name
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.logging.redaction import mask_url
from tradewind.application.ports.bus import BusError


class QueueDepthProbe:
    """Reads the ready-message count of bus queues; also tells whether the broker answers at all."""

    def __init__(self, settings: RabbitMqSettings) -> None:
        self._settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        s = self._settings
        try:
            self._connection = await aio_pika.connect_robust(
                s.url, timeout=s.connect_timeout, reconnect_interval=s.reconnect_interval
            )
        except Exception as exc:
            raise BusError(f"cannot connect to RabbitMQ at {mask_url(s.url)}: {mask_url(repr(exc))}") from exc

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def depth(self, queue: str) -> int | None:
        """Messages ready in the bus queue ``queue``; None when it does not exist (yet)."""
        async with self._lock:
            channel = await self._open_channel()
            try:
                declared = await channel.declare_queue(amqp_queue_name(queue), passive=True)
            except ChannelNotFoundEntity:
                self._channel = None  # the broker closed the channel with the 404
                return None
            result = declared.declaration_result
            return int(result.message_count or 0)

    async def _open_channel(self) -> AbstractChannel:
        if self._connection is None:
            raise BusError("queue probe not started")
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._connection.channel(publisher_confirms=False)
        return self._channel
