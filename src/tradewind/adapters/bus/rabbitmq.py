"""RabbitMQ bus (aio-pika): topic exchange, durable work queues, publisher confirms, retries, dead letters, RPC.

Delivery is at least once: a message is acknowledged after its handler returns, so a crash or a broker
restart can hand it over again and handlers should be idempotent.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    ExchangeType,
)
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity

from tradewind.adapters.bus.rabbitmq_codec import decode_payload, encode_payload, from_amqp, to_amqp
from tradewind.adapters.bus.rabbitmq_consumer import TRANSIENT_ERRORS, RabbitSubscription
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.adapters.bus.topics import validate_topic
from tradewind.adapters.logging.redaction import mask_url
from tradewind.application.ports.bus import (
    BusError,
    Handler,
    JsonObject,
    Message,
    PoisonMessage,
    RemoteError,
    RequestTimeout,
    Responder,
)

log = structlog.get_logger(__name__)

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.:@#,/+ -]{1,250}")  # what the AMQP client accepts, with room for ".dlq"


def validate_pattern(pattern: str) -> None:
    """A binding pattern: non-empty dot-separated words (``*`` and ``#`` allowed)."""
    if not pattern or any(not word for word in pattern.split(".")):
        raise ValueError(f"invalid topic pattern {pattern!r}: words must be non-empty")


def amqp_queue_name(name: str) -> str:
    """The AMQP name of a bus queue: ``*`` becomes ``+`` (MQTT's one-word wildcard), which AMQP names allow."""
    mapped = name.replace("*", "+")
    if not _QUEUE_NAME.fullmatch(mapped) or mapped.startswith("amq."):
        raise ValueError(
            f"invalid queue name {name!r}: 1 to 250 of A-Z a-z 0-9 _ . : @ # , / + - and space, not starting 'amq.'"
        )
    return mapped


@dataclass(frozen=True, slots=True)
class _Link:
    """What exists once the bus is connected."""

    connection: AbstractRobustConnection
    channel: AbstractChannel  # publishing, with confirms
    events: AbstractExchange
    dead: AbstractExchange


class RabbitMqBus:
    """Bus port over RabbitMQ; see the module docstring for the delivery guarantee."""

    def __init__(self, settings: RabbitMqSettings | None = None) -> None:
        self._settings = settings or RabbitMqSettings()
        self._link: _Link | None = None
        self._start_lock = asyncio.Lock()
        self._closed = False
        self._reply_queue = f"rpc.reply.{uuid.uuid4().hex}"
        self._pending: dict[str, asyncio.Future[JsonObject]] = {}
        self._subscriptions: set[RabbitSubscription] = set()
        self.published = 0
        self.delivered = 0
        self.reconnects = 0

    @property
    def settings(self) -> RabbitMqSettings:
        return self._settings

    @property
    def pending_requests(self) -> int:
        """Requests waiting for their reply."""
        return len(self._pending)

    @property
    def default_exchange(self) -> AbstractExchange:
        """The broker's default exchange on the publishing channel: routes to a queue by its name."""
        if self._link is None:
            raise BusError("bus not started")
        return self._link.channel.default_exchange

    async def start(self) -> None:
        """Connect, declare the exchanges and the reply queue; idempotent."""
        async with self._start_lock:
            if self._closed:
                raise BusError("bus closed")
            if self._link is None:
                self._link = await self._connect()

    async def _connect(self) -> _Link:
        s = self._settings
        try:
            connection = await aio_pika.connect_robust(
                s.url,
                timeout=s.connect_timeout,
                reconnect_interval=s.reconnect_interval,
                client_properties={"connection_name": f"tradewind-bus pid={os.getpid()}"},
            )
        except Exception as exc:  # refused, timed out, bad credentials, unknown vhost
            raise BusError(f"cannot connect to RabbitMQ at {mask_url(s.url)}: {mask_url(repr(exc))}") from exc
        try:
            channel = await connection.channel(publisher_confirms=True)
            events = await channel.declare_exchange(s.exchange, ExchangeType.TOPIC, durable=True)
            dead = await channel.declare_exchange(s.dead_letter_exchange, ExchangeType.DIRECT, durable=True)
            replies = await connection.channel(publisher_confirms=False)
            reply_queue = await replies.declare_queue(self._reply_queue, exclusive=True, auto_delete=True)
            await reply_queue.consume(self._on_reply, no_ack=True)
        except BaseException as exc:
            await connection.close()
            if isinstance(exc, AMQPError):
                raise BusError(f"cannot set up exchanges on {mask_url(s.url)}: {mask_url(repr(exc))}") from exc
            raise
        connection.reconnect_callbacks.add(self._on_reconnect)
        return _Link(connection, channel, events, dead)

    def check(self) -> None:
        """Raise BusError unless the connection is up (not reconnecting) and the publishing channel is open."""
        link = self._link
        if self._closed or link is None:
            raise BusError("bus closed" if self._closed else "bus not started")
        if link.connection.is_closed or not link.connection.connected.is_set():
            raise BusError(f"not connected to RabbitMQ at {mask_url(self._settings.url)} (reconnecting)")
        if link.channel.is_closed:
            raise BusError("the publishing channel is closed (reopening)")

    def _on_reconnect(self, _connection: object) -> None:
        self.reconnects += 1
        log.info("bus.reconnected", url=mask_url(self._settings.url), reconnects=self.reconnects)

    async def _ready(self) -> _Link:
        if self._closed:
            raise BusError("bus closed")
        if self._link is None:
            await self.start()
        if self._link is None:  # pragma: no cover - start either sets the link or raises
            raise BusError("bus not started")
        return self._link

    async def close(self) -> None:
        """Stop every consumer (unacknowledged messages go back to their queues) and disconnect."""
        if self._closed:
            return
        self._closed = True
        for subscription in list(self._subscriptions):
            await subscription.stop_worker()
        self._subscriptions.clear()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusError("bus closed"))
        if self._link is not None:
            await self._link.connection.close()

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None:
        """Publish persistently on the topic exchange; returns once the broker has confirmed the message."""
        validate_topic(topic)
        body = encode_payload(topic, payload)
        link = await self._ready()
        await self.send(link.events, topic, to_amqp(body, message_id=uuid.uuid4().hex, headers=headers))
        self.published += 1

    async def send(
        self,
        exchange: AbstractExchange,
        routing_key: str,
        message: aio_pika.Message,
        *,
        still_wanted: Callable[[], bool] | None = None,
    ) -> None:
        """Publish and wait for the confirm, retrying through a reconnection for up to ``publish_timeout``.

        A confirm lost with the connection means the message may be stored twice (at least once).
        ``still_wanted`` returning False stops the retries quietly.
        """
        loop = asyncio.get_running_loop()
        limit = self._settings.publish_timeout
        deadline = loop.time() + limit
        pause = 0.05
        while True:
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0.001)):
                    await exchange.publish(message, routing_key, mandatory=False)
                return
            except TimeoutError:
                raise BusError(f"publish to {routing_key!r} not confirmed within {limit} s") from None
            except TRANSIENT_ERRORS as exc:
                if self._closed:
                    raise BusError("bus closed") from exc
                if loop.time() + pause >= deadline:
                    raise BusError(f"publish to {routing_key!r} failed for {limit} s: {exc!r}") from exc
                if still_wanted is not None and not still_wanted():
                    raise BusError(f"publish to {routing_key!r} abandoned: {exc!r}") from exc
                log.warning("bus.publish_retry", routing_key=routing_key, error=repr(exc))
                await asyncio.sleep(pause)
                pause = min(pause * 2, self._settings.reconnect_interval)

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> RabbitSubscription:
        """Fan-out: an exclusive auto-delete queue; named: a durable queue shared by competing consumers."""
        validate_pattern(pattern)
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        fanout = queue is None
        dead_name = amqp_queue_name(f"fanout:{pattern}" if queue is None else queue)
        link = await self._ready()
        s = self._settings
        channel = await link.connection.channel(publisher_confirms=False)
        try:
            await channel.set_qos(prefetch_count=max(s.prefetch, concurrency))  # each handler has its message
            amqp_queue = await self._declare(channel, pattern, dead_name, fanout=fanout)
            subscription = RabbitSubscription(
                self, handler, channel, amqp_queue, dead_name=dead_name, dead_exchange=link.dead, exclusive=fanout,
                concurrency=concurrency,
            )  # fmt: skip
            await subscription.start()
        except AMQPError as exc:
            await channel.close()
            raise BusError(f"cannot subscribe to {pattern!r} on queue {dead_name!r}: {exc!r}") from exc
        self._subscriptions.add(subscription)
        return subscription

    async def declare_queue(self, pattern: str, queue: str) -> None:
        """Declare the durable queue (and its dead-letter queue) bound to ``pattern``, consuming nothing."""
        validate_pattern(pattern)
        name = amqp_queue_name(queue)
        link = await self._ready()
        channel = await link.connection.channel(publisher_confirms=False)
        try:
            await self._declare(channel, pattern, name, fanout=False)
        except AMQPError as exc:
            raise BusError(f"cannot declare queue {name!r} for {pattern!r}: {exc!r}") from exc
        finally:
            await channel.close()

    async def _declare(self, channel: AbstractChannel, pattern: str, dead_name: str, *, fanout: bool) -> AbstractQueue:
        """The queue of a subscription with its dead-letter queue, bound to ``pattern`` on the topic exchange."""
        s = self._settings
        dlq = await channel.declare_queue(f"{dead_name}.dlq", durable=True)
        await dlq.bind(s.dead_letter_exchange, routing_key=dead_name)
        arguments: dict[str, Any] = {
            "x-dead-letter-exchange": s.dead_letter_exchange, "x-dead-letter-routing-key": dead_name,
        }  # fmt: skip
        if fanout:
            amqp_queue = await channel.declare_queue(None, exclusive=True, auto_delete=True, arguments=arguments)
        else:
            amqp_queue = await channel.declare_queue(dead_name, durable=True, arguments=arguments)
        await amqp_queue.bind(s.exchange, routing_key=pattern)
        return amqp_queue

    def forget(self, subscription: RabbitSubscription) -> None:
        self._subscriptions.discard(subscription)

    async def dead_letters(self, queue: str) -> list[Message]:
        """Browse ``<queue>.dlq``: each message is fetched unacknowledged and handed back, so it stays, in order.

        Another reader browsing the same queue at the same moment sees only the part this one is not holding.
        """
        dlq_name = f"{amqp_queue_name(queue)}.dlq"
        link = await self._ready()
        channel = await link.connection.channel(publisher_confirms=False)
        try:
            try:
                dlq = await channel.declare_queue(dlq_name, passive=True)
            except ChannelNotFoundEntity:
                return []
            found: list[Message] = []
            while (incoming := await dlq.get(no_ack=False, fail=False)) is not None:
                found.append(from_amqp(incoming, lenient=True))
            return found
        finally:
            await channel.close()  # the broker requeues what it handed out, at the original positions

    async def request(self, topic: str, payload: JsonObject, *, timeout: float | None = None) -> JsonObject:
        """Send a request and wait for its reply; ``timeout`` defaults to the settings' ``request_timeout``."""
        validate_topic(topic)
        limit = self._settings.request_timeout if timeout is None else timeout
        if limit <= 0:
            raise ValueError(f"request timeout must be positive, got {limit}")
        body = encode_payload(topic, payload)
        link = await self._ready()
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        message = to_amqp(body, message_id=uuid.uuid4().hex, correlation_id=correlation_id, reply_to=self._reply_queue)
        try:
            async with asyncio.timeout(limit):
                await self.send(link.events, topic, message)
                return await future
        except TimeoutError:
            raise RequestTimeout(f"no reply on {topic!r} within {limit} s") from None
        finally:
            self._pending.pop(correlation_id, None)

    async def serve(self, topic: str, responder: Responder) -> RabbitSubscription:
        """Answer requests on ``topic`` from the durable queue ``rpc:<topic>``; a failure is replied as an error."""

        async def handle(message: Message) -> None:
            if message.reply_to is None or message.correlation_id is None:
                raise PoisonMessage(f"request on {topic!r} without reply_to/correlation_id")
            try:
                body = encode_payload(message.reply_to, {"ok": True, "result": await responder(message)})
            except PoisonMessage:
                raise
            except Exception as exc:  # logged here, and the caller gets it instead of a timeout
                error = f"{type(exc).__name__}: {exc}"
                log.error("bus.responder_failed", topic=message.topic, error=error, exc_info=exc)
                body = encode_payload(message.reply_to, {"ok": False, "error": error})
            reply = to_amqp(body, message_id=uuid.uuid4().hex, correlation_id=message.correlation_id, persistent=False)
            await self.send(self.default_exchange, message.reply_to, reply)

        return await self.subscribe(topic, handle, queue=f"rpc:{topic}")

    async def _on_reply(self, incoming: AbstractIncomingMessage) -> None:
        future = self._pending.get(incoming.correlation_id or "")
        if future is None or future.done():
            return  # a reply after its timeout: the caller has gone
        try:
            body = decode_payload(incoming.body)
        except ValueError as exc:
            future.set_exception(BusError(f"undecodable reply: {exc}"))
            return
        result = body.get("result")
        if not body.get("ok"):
            future.set_exception(RemoteError(str(body.get("error"))))
        elif not isinstance(result, dict):
            future.set_exception(BusError(f"reply result is not a JSON object: {result!r}"))
        else:
            future.set_result(result)
