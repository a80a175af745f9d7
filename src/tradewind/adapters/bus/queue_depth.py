"""How many messages wait in a service's queues, read with a passive queue declare on a connection of its own.

The probe's connection is a plain one that it opens again itself after any failure (not a robust one that restores
itself in the background): so each answer is read from the broker now, a broker outage shows at once, and the first
call after the broker is back reads fresh figures instead of stale ones.
"""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection
from aio_pika.exceptions import ChannelNotFoundEntity

from tradewind.adapters.bus.rabbitmq import amqp_queue_name
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.logging.redaction import mask_url
from tradewind.application.ports.bus import BusError

PROBE_CONNECTION = "tradewind-queue-probe"  # its connection's name at the broker (rabbitmqctl list_connections)


class QueueDepthProbe:
    """Reads the ready-message count of bus queues; also tells whether the broker answers at all."""

    def __init__(self, settings: RabbitMqSettings) -> None:
        self._settings = settings
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()
        self._started = False
        self.reconnects = 0

    async def start(self) -> None:
        async with self._lock:
            await self._connect()
        self._started = True

    async def close(self) -> None:
        self._started = False
        async with self._lock:
            await self._drop()

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def check(self) -> None:
        """Raise BusError unless the broker answers now (a passive declare of the bus's exchange)."""
        async with self._lock:
            channel = await self._open_channel()
            try:
                async with asyncio.timeout(self._settings.connect_timeout):
                    await channel.declare_exchange(self._settings.exchange, passive=True)
            except ChannelNotFoundEntity:
                self._channel = None  # the broker closed the channel with the 404
                raise BusError(f"exchange {self._settings.exchange!r} does not exist") from None
            except Exception as exc:
                await self._drop()
                raise BusError(f"RabbitMQ does not answer: {mask_url(repr(exc))}") from exc

    async def depth(self, queue: str) -> int | None:
        """Messages ready in the bus queue ``queue``; None when it does not exist (yet)."""
        async with self._lock:
            channel = await self._open_channel()
            try:
                async with asyncio.timeout(self._settings.connect_timeout):
                    declared = await channel.declare_queue(amqp_queue_name(queue), passive=True)
            except ChannelNotFoundEntity:
                self._channel = None  # the broker closed the channel with the 404
                return None
            except Exception as exc:
                await self._drop()
                raise BusError(f"cannot read the depth of {queue!r}: {mask_url(repr(exc))}") from exc
            result = declared.declaration_result
            return int(result.message_count or 0)

    async def _connect(self) -> None:
        s = self._settings
        try:
            self._connection = await aio_pika.connect(
                s.url, timeout=s.connect_timeout, client_properties={"connection_name": PROBE_CONNECTION}
            )
        except Exception as exc:
            raise BusError(f"cannot connect to RabbitMQ at {mask_url(s.url)}: {mask_url(repr(exc))}") from exc

    async def _drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                async with asyncio.timeout(self._settings.connect_timeout):
                    await connection.close()
            except Exception:
                pass

    async def _open_channel(self) -> AbstractChannel:
        if not self._started and self._connection is None:
            raise BusError("queue probe not started")
        if self._connection is None or self._connection.is_closed:
            self._channel = None
            await self._connect()
            self.reconnects += 1
        if self._channel is None or self._channel.is_closed:
            assert self._connection is not None  # connected just above
            try:
                self._channel = await self._connection.channel(publisher_confirms=False)
            except Exception as exc:
                await self._drop()
                raise BusError(f"RabbitMQ does not answer: {mask_url(repr(exc))}") from exc
        return self._channel
