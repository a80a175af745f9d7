"""Queues an older release declared and nothing reads any more: deleted at start when empty, else kept and named.

A durable queue outlives the code that consumed it; bound to a topic that is still published, it would grow on the
broker for ever. What it holds was acknowledged to its publishers, so a queue holding messages is not deleted: it is
unbound (it grows no more) and a warning names it and its depth, for the operator to look at and delete by hand.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity, ChannelPreconditionFailed

from tradewind.adapters.bus.rabbitmq import amqp_queue_name
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.logging.redaction import mask_url

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetiredQueue:
    """A bus queue no release consumes any more, and the pattern it was bound to on the topic exchange."""

    name: str
    pattern: str


async def retire_queues(settings: RabbitMqSettings, retired: tuple[RetiredQueue, ...]) -> dict[str, int | None]:
    """Each retired queue and its dead-letter queue: deleted if empty, else unbound and kept with a warning.

    Returns the messages each one kept holds (0: deleted, None: it did not exist). A broker that cannot be asked is
    logged, not raised: the housekeeping waits for the next start, the service runs.
    """
    left: dict[str, int | None] = {}
    try:
        connection = await aio_pika.connect(settings.url, timeout=settings.connect_timeout)
    except Exception as exc:
        log.warning("bus.retire_skipped", url=mask_url(settings.url), error=mask_url(repr(exc)))
        return left
    try:
        async with asyncio.timeout(settings.connect_timeout * 4):
            for queue in retired:
                name = amqp_queue_name(queue.name)
                left[name] = await _retire(connection, name, (settings.exchange, queue.pattern))
                left[f"{name}.dlq"] = await _retire(connection, f"{name}.dlq", None)
    except (AMQPError, TimeoutError) as exc:
        log.warning("bus.retire_failed", queues=[q.name for q in retired], error=repr(exc))
    finally:
        await connection.close()
    return left


async def _retire(connection: AbstractConnection, name: str, binding: tuple[str, str] | None) -> int | None:
    """Delete ``name`` if it exists and is empty; else unbind it from ``binding`` and warn. Its depth left."""
    channel = await connection.channel(publisher_confirms=False)
    try:
        try:
            queue = await channel.declare_queue(name, passive=True)
        except ChannelNotFoundEntity:
            return None  # never declared here, or deleted already (the broker closed the channel with the 404)
        if (queue.declaration_result.message_count or 0) == 0:
            try:
                await queue.delete(if_unused=False, if_empty=True)
            except ChannelPreconditionFailed:
                pass  # a message came in between: it is kept below
            else:
                log.info("bus.retired_queue_deleted", queue=name)
                return 0
            channel = await connection.channel(publisher_confirms=False)
        return await _keep(channel, name, binding)
    finally:
        if not channel.is_closed:
            await channel.close()


async def _keep(channel: AbstractChannel, name: str, binding: tuple[str, str] | None) -> int:
    queue = await channel.declare_queue(name, passive=True)
    if binding is not None:
        exchange, pattern = binding
        await queue.unbind(exchange, routing_key=pattern)
    depth = int(queue.declaration_result.message_count or 0)
    log.warning(
        "bus.retired_queue_kept", queue=name, messages=depth,
        reason="no release reads it; it holds messages, so it was not deleted (unbound: it grows no more)",
        delete_with=f"rabbitmqctl delete_queue {name}",
    )  # fmt: skip
    return depth
