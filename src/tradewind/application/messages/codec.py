"""A typed codec (value <-> JSON-compatible dict, Decimals as strings) and a typed request/reply topic.

These live in the application layer, not the domain, because a malformed payload is a bus matter
(``PoisonMessage``, from ``application/ports/bus.py``) that the domain must not know of; the codecs wrap the
domain's pure ``*_to_payload`` / ``*_from_payload`` functions, so the wire format is defined once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tradewind.application.ports.bus import Bus, JsonObject, Message, PoisonMessage, Subscription

T = TypeVar("T")
Req = TypeVar("Req")
Rep = TypeVar("Rep")


class MalformedPayload(PoisonMessage, ValueError):
    """A payload its codec cannot decode: dead-lettered at once if a handler lets it out; also a ValueError."""

    def __init__(self, kind: str, error: str) -> None:
        super().__init__(error)
        self.kind = kind


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError) and exc.args:  # str(KeyError) is the key's repr alone: say what it is
        return f"missing field {exc.args[0]!r}"
    return str(exc)


@dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """The codec of one topic kind; what ``parse`` raises on a bad payload, ``decode`` turns into MalformedPayload."""

    kind: str
    encode: Callable[[T], dict[str, Any]]
    parse: Callable[[JsonObject], T]

    def decode(self, payload: JsonObject) -> T:
        """The typed value of a payload, or MalformedPayload naming what is wrong."""
        try:
            return self.parse(payload)
        except (ValueError, ArithmeticError, TypeError, KeyError, AttributeError) as exc:
            raise MalformedPayload(self.kind, _reason(exc)) from exc


@dataclass(frozen=True, slots=True)
class Call(Generic[Req, Rep]):
    """A request/reply topic with the codecs of its request and of its reply."""

    topic: str
    request: Codec[Req]
    reply: Codec[Rep]


def topic_kind(topic: str) -> str:
    """The first two words of a topic (``md.trade.sim.spot.BTCUSDT`` -> ``md.trade``): the key of its codec."""
    return ".".join(topic.split(".", 2)[:2])


async def request(bus: Bus, call: Call[Req, Rep], value: Req, *, timeout: float = 5.0) -> Rep:
    """Send a typed request and return the typed reply; a reply that does not decode raises MalformedPayload."""
    reply = await bus.request(call.topic, call.request.encode(value), timeout=timeout)
    return call.reply.decode(reply)


async def serve(
    bus: Bus,
    call: Call[Req, Rep],
    handle: Callable[[Req], Awaitable[Rep]],
    refuse: Callable[[MalformedPayload], Rep],
) -> Subscription:
    """Answer ``call`` with ``handle``; a request that does not decode is answered with ``refuse(error)``."""

    async def respond(message: Message) -> JsonObject:
        try:
            value = call.request.decode(message.payload)
        except MalformedPayload as exc:
            return call.reply.encode(refuse(exc))
        return call.reply.encode(await handle(value))

    return await bus.serve(call.topic, respond)
