"""Event bus port: topics with wildcards, work queues and request/reply.

Topics are dot-separated words (``md.trade.sim.spot.BTCUSDT``). Patterns follow AMQP topic rules:
``*`` matches exactly one word, ``#`` matches zero or more words, so the in-memory bus and RabbitMQ
route the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

JsonObject = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """One message on the bus. ``payload`` is JSON-compatible (Decimals travel as strings)."""

    topic: str
    payload: JsonObject
    message_id: str = ""
    correlation_id: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Message], Awaitable[None]]
Responder = Callable[[Message], Awaitable[JsonObject]]


class BusError(RuntimeError):
    """A bus operation failed (closed bus, no responder, timeout)."""


class RequestTimeout(BusError):
    """A request got no reply within its timeout."""


class PoisonMessage(Exception):
    """Raised by a handler for a message it can never process: dead-lettered at once, not retried."""


class RemoteError(BusError):
    """The responder of a request failed; the message carries its error text."""


class Subscription(Protocol):
    async def cancel(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe, work queues and request/reply behind one interface.

    ``subscribe(pattern, handler)`` gives every subscriber its own copy (fan-out). With
    ``queue="name"``, subscribers sharing the name compete: each message goes to one of them, and
    the queue holds messages published while no consumer is attached. A handler that raises has
    the message redelivered up to the bus's retry limit, then dead-lettered; ``PoisonMessage`` is
    dead-lettered at once. Fan-out subscriptions dead-letter under the name ``fanout:<pattern>``.
    ``concurrency=N`` handles up to N messages of the subscription at once (each acknowledged when its own
    handler returns; their order is not kept): a handler may then wait, e.g. until its row is stored.
    """

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, topic: str, payload: JsonObject, *, headers: Mapping[str, str] | None = None) -> None: ...

    async def subscribe(
        self, pattern: str, handler: Handler, *, queue: str | None = None, concurrency: int = 1
    ) -> Subscription: ...

    async def declare_queue(self, pattern: str, queue: str) -> None:
        """Create the durable work queue ``queue`` bound to ``pattern`` without consuming it, so it holds what is
        published before its first consumer attaches (a topic exchange keeps nothing for a queue never declared)."""
        ...

    async def request(self, topic: str, payload: JsonObject, *, timeout: float = 5.0) -> JsonObject: ...

    async def serve(self, topic: str, responder: Responder) -> Subscription: ...

    async def dead_letters(self, queue: str) -> list[Message]:
        """Messages dead-lettered from the named queue, oldest first (they stay dead-lettered)."""
        ...
