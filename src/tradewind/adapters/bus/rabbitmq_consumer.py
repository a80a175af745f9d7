"""One RabbitMQ consumer of the bus: runs the handler in delivery order, acks, retries or dead-letters."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from tradewind.adapters.bus.rabbitmq_codec import (
    DEATH_REASON_HEADER,
    DELIVERY_COUNT_HEADER,
    UndecodableMessage,
    delivery_count,
    forwarded,
    from_amqp,
)
from tradewind.application.ports.bus import BusError, Handler, PoisonMessage

if TYPE_CHECKING:
    from tradewind.adapters.bus.rabbitmq import RabbitMqBus

log = structlog.get_logger(__name__)

# Lost connection or closed channel: worth retrying once the robust connection has recovered.
TRANSIENT_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError, OSError)
_CANCEL_TIMEOUT = 5.0


def channel_lost(incoming: AbstractIncomingMessage) -> bool:
    """True once the channel a message came on has closed: it can no longer be acked and will be redelivered."""
    try:
        return incoming.channel.is_closed
    except ChannelInvalidStateError:
        return True


class RabbitSubscription:
    """A consumer on its own channel (prefetch applies per consumer); ``concurrency`` messages handled at a time."""

    def __init__(
        self,
        bus: RabbitMqBus,
        handler: Handler,
        channel: AbstractChannel,
        queue: AbstractQueue,
        *,
        dead_name: str,
        dead_exchange: AbstractExchange,
        exclusive: bool,
        concurrency: int = 1,
    ) -> None:
        self._bus, self._handler, self._channel, self._queue = bus, handler, channel, queue
        self._dead_name, self._dead_exchange, self._exclusive = dead_name, dead_exchange, exclusive
        self._buffer: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._concurrency = concurrency
        self._workers: list[asyncio.Task[None]] = []
        self._tag: str | None = None
        self._cancelled = False

    @property
    def queue_name(self) -> str:
        return self._queue.name

    async def start(self) -> None:
        name = f"bus:{self._queue.name}"
        self._workers = [asyncio.create_task(self._run(), name=name) for _ in range(self._concurrency)]
        self._tag = await self._queue.consume(self._on_delivery)

    async def _on_delivery(self, incoming: AbstractIncomingMessage) -> None:
        self._buffer.put_nowait(incoming)

    async def _run(self) -> None:
        while True:
            incoming = await self._buffer.get()
            if channel_lost(incoming):
                continue  # the broker hands it to the restored consumer again
            try:
                await self._process(incoming)
            except Exception:  # a consumer never dies; the message stays unacknowledged
                log.exception("bus.consumer_error", queue=self._queue.name, routing_key=incoming.routing_key)

    async def _process(self, incoming: AbstractIncomingMessage) -> None:
        try:
            message = from_amqp(incoming)
        except UndecodableMessage as exc:
            await self._dead_letter(incoming, f"undecodable: {exc}")
            return
        try:
            await self._handler(message)
        except PoisonMessage as exc:
            await self._dead_letter(incoming, f"poison: {exc}")
        except Exception as exc:
            attempts = delivery_count(incoming) + 1
            if attempts > self._bus.settings.max_retries:
                await self._dead_letter(incoming, f"failed {attempts} times: {exc!r}")
            else:
                log.warning(
                    "bus.redeliver", queue=self._queue.name, topic=message.topic, attempt=attempts, error=repr(exc)
                )
                await self._forward(incoming, self._bus.default_exchange, self._queue.name, attempts=attempts)
        else:
            self._bus.delivered += 1
            await _ack(incoming)

    async def _dead_letter(self, incoming: AbstractIncomingMessage, reason: str) -> None:
        log.error("bus.dead_letter", queue=self._dead_name, routing_key=incoming.routing_key, reason=reason)
        await self._forward(incoming, self._dead_exchange, self._dead_name, reason=reason)

    async def _forward(
        self,
        incoming: AbstractIncomingMessage,
        exchange: AbstractExchange,
        routing_key: str,
        *,
        attempts: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Send a copy on (retry or dead letter), then ack the original; if the copy fails the original stays."""
        extra = {DELIVERY_COUNT_HEADER: str(attempts)} if attempts is not None else {DEATH_REASON_HEADER: str(reason)}
        try:
            await self._bus.send(
                exchange, routing_key, forwarded(incoming, extra), still_wanted=lambda: not channel_lost(incoming)
            )
        except BusError as exc:
            log.error("bus.forward_failed", queue=self._queue.name, routing_key=routing_key, error=str(exc))
            return
        await _ack(incoming)

    async def stop_worker(self) -> None:
        """Stop handling; what the workers held is not acknowledged, so the broker redelivers it."""
        workers, self._workers = self._workers, []
        others = [w for w in workers if w is not asyncio.current_task()]
        for worker in others:
            worker.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def cancel(self) -> None:
        """Detach the consumer; a named queue keeps its messages, a fan-out queue is deleted."""
        if self._cancelled:
            return
        self._cancelled = True
        self._bus.forget(self)
        await self.stop_worker()
        with contextlib.suppress(*TRANSIENT_ERRORS, TimeoutError):
            async with asyncio.timeout(_CANCEL_TIMEOUT):
                if self._tag is not None:
                    await self._queue.cancel(self._tag)
                if self._exclusive:
                    await self._queue.delete(if_unused=False, if_empty=False)
        with contextlib.suppress(*TRANSIENT_ERRORS, TimeoutError):
            async with asyncio.timeout(_CANCEL_TIMEOUT):
                await self._channel.close()  # prefetched, unacknowledged messages go back to the queue


async def _ack(incoming: AbstractIncomingMessage) -> None:
    try:
        await incoming.ack()
    except TRANSIENT_ERRORS as exc:  # the channel went away: the broker redelivers, idempotent handlers cope
        log.warning("bus.ack_lost", routing_key=incoming.routing_key, error=repr(exc))
