"""Wire format of the RabbitMQ bus: JSON (UTF-8) bodies, string headers, and the bus's own header names."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, DeliveryMode

from tradewind.application.ports.bus import JsonObject, Message

CONTENT_TYPE = "application/json"
TOPIC_HEADER = "x-topic"  # the original topic, kept when a copy is sent to a queue by name (retry, dead letter)
DELIVERY_COUNT_HEADER = "x-delivery-count"
DEATH_REASON_HEADER = "x-death-reason"
_HIDDEN_HEADERS = frozenset({TOPIC_HEADER})


class UndecodableMessage(ValueError):
    """An AMQP body that is not a UTF-8 JSON object."""


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable (send Decimals as strings)")


def encode_payload(topic: str, payload: JsonObject) -> bytes:
    """The payload as compact UTF-8 JSON; a payload that is not a JSON object is refused, naming the topic."""
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload for {topic!r} must be a JSON object (a mapping), not {type(payload).__name__}")
    try:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_plain)
    except TypeError as exc:
        raise TypeError(f"payload for {topic!r} is not JSON: {exc}") from None
    except ValueError as exc:  # NaN or infinity, which JSON cannot carry
        raise ValueError(f"payload for {topic!r} is not JSON: {exc}") from None
    return text.encode()


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def decode_payload(body: bytes) -> dict[str, Any]:
    """Parse a body into a JSON object, or raise :class:`UndecodableMessage` saying why not."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise UndecodableMessage(f"body is not UTF-8: {exc}") from None
    except ValueError as exc:
        raise UndecodableMessage(f"body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UndecodableMessage(f"body is a JSON {type(value).__name__}, not an object")
    return value


def header_text(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """AMQP header values as text; tables and arrays (such as the broker's ``x-death``) are left out."""
    out: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if isinstance(value, bytes):
            out[key] = value.decode("utf-8", errors="replace")
        elif isinstance(value, str | int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
            out[key] = str(value)
    return out


def to_amqp(
    body: bytes,
    *,
    message_id: str,
    headers: Mapping[str, Any] | None = None,
    correlation_id: str | None = None,
    reply_to: str | None = None,
    persistent: bool = True,
) -> aio_pika.Message:
    """An AMQP message with a JSON body; persistent unless it is a transient reply."""
    return aio_pika.Message(
        body,
        headers=dict(headers or {}),
        content_type=CONTENT_TYPE,
        delivery_mode=DeliveryMode.PERSISTENT if persistent else DeliveryMode.NOT_PERSISTENT,
        message_id=message_id,
        correlation_id=correlation_id,
        reply_to=reply_to,
    )


def topic_of(incoming: AbstractIncomingMessage) -> str:
    """The topic a delivery was published on, also for copies sent on by queue name."""
    original = (incoming.headers or {}).get(TOPIC_HEADER)
    if isinstance(original, bytes):
        return original.decode("utf-8", errors="replace")
    if isinstance(original, str) and original:
        return original
    return incoming.routing_key or ""


def from_amqp(incoming: AbstractIncomingMessage, *, lenient: bool = False) -> Message:
    """The port's Message for a delivery; ``lenient`` keeps an undecodable body as ``{"raw": text}``."""
    try:
        payload: JsonObject = decode_payload(incoming.body)
    except UndecodableMessage:
        if not lenient:
            raise
        payload = {"raw": incoming.body.decode("utf-8", errors="replace")}
    headers = {k: v for k, v in header_text(incoming.headers).items() if k not in _HIDDEN_HEADERS}
    return Message(
        topic_of(incoming),
        payload,
        incoming.message_id or "",
        incoming.correlation_id,
        incoming.reply_to,
        headers,
    )


def delivery_count(incoming: AbstractIncomingMessage) -> int:
    """How many times the bus has already handed this message to a handler that failed (0 on first delivery)."""
    value = header_text(incoming.headers).get(DELIVERY_COUNT_HEADER, "0")
    try:
        return max(0, int(value))
    except ValueError:
        return 0


def forwarded(incoming: AbstractIncomingMessage, extra_headers: Mapping[str, str]) -> aio_pika.Message:
    """A persistent copy of a delivery (same body, ids and headers plus ``extra_headers``) to send by queue name."""
    headers: dict[str, Any] = dict(incoming.headers or {})
    headers[TOPIC_HEADER] = topic_of(incoming)
    headers.update(extra_headers)
    return aio_pika.Message(
        incoming.body,
        headers=headers,
        content_type=incoming.content_type or CONTENT_TYPE,
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=incoming.message_id,
        correlation_id=incoming.correlation_id,
        reply_to=incoming.reply_to,
    )
