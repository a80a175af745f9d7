"""The market-data service's request/reply topics (``rpc.md.*``): requests, replies and their codecs.

A reply is ``{"ok": true, ...}`` or ``{"ok": false, "kind": "invalid" | "not_found", "error": text}`` (a
``Refusal``), so the caller can tell bad input and an unknown subscription apart from a broken service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tradewind.application.messages.codec import Call, Codec
from tradewind.application.ports.bus import JsonObject
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef, book_from_payload, book_to_payload
from tradewind.domain.values import Category

T = TypeVar("T")

SUBSCRIBE = "rpc.md.subscribe"
UNSUBSCRIBE = "rpc.md.unsubscribe"
SUBSCRIPTIONS = "rpc.md.subscriptions"
BOOK = "rpc.md.book"

INVALID = "invalid"
NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    ref: InstrumentRef
    depth: int | None = None  # None: the service's default


@dataclass(frozen=True, slots=True)
class Refusal:
    """The service refused the request: ``kind`` is INVALID (bad input) or NOT_FOUND (no such subscription)."""

    kind: str
    error: str


def ref_to_payload(ref: InstrumentRef) -> dict[str, Any]:
    return {
        "exchange": ref.exchange,
        "category": ref.category.value,
        "symbol": ref.symbol,
        "matching_key": ref.matching_key,
    }


def ref_from_payload(payload: JsonObject) -> InstrumentRef:
    """The instrument of a request; ValueError naming the missing or bad field."""
    for name in ("exchange", "category", "symbol"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            raise ValueError(f"field {name!r} must be a non-empty string, got {payload.get(name)!r}")
    matching_key = payload.get("matching_key", "")
    if not isinstance(matching_key, str):
        raise ValueError(f"field 'matching_key' must be a string, got {matching_key!r}")
    try:
        category = Category(payload["category"])
    except ValueError:
        known = [c.value for c in Category]
        raise ValueError(f"unknown category {payload['category']!r}; use one of {known}") from None
    return InstrumentRef(payload["exchange"], category, payload["symbol"], matching_key)


def status_to_payload(status: SubscriptionStatus) -> dict[str, Any]:
    return {
        **ref_to_payload(status.ref),
        "depth": status.depth,
        "synced": status.synced,
        "stale": status.stale,
        "updates": status.updates,
        "resyncs": status.resyncs,
        "last_seq": status.last_seq,
    }


def status_from_payload(payload: JsonObject) -> SubscriptionStatus:
    return SubscriptionStatus(
        ref_from_payload(payload),
        int(payload["depth"]),
        bool(payload["synced"]),
        bool(payload["stale"]),
        int(payload["updates"]),
        int(payload["resyncs"]),
        int(payload["last_seq"]),
    )


def _subscribe_to_payload(request: SubscribeRequest) -> dict[str, Any]:
    return {**ref_to_payload(request.ref), "depth": request.depth}


def _subscribe_from_payload(payload: JsonObject) -> SubscribeRequest:
    ref = ref_from_payload(payload)
    depth = payload.get("depth")
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool)):
        raise ValueError(f"field 'depth' must be an integer, got {depth!r}")
    return SubscribeRequest(ref, depth)


def _reply(kind: str, key: str | None, encode: Callable[[T], Any], parse: Callable[[Any], T]) -> Codec[T | Refusal]:
    """A reply codec: the result under ``key`` (``{"ok": true}`` alone when None), or a Refusal."""

    def to_payload(value: T | Refusal) -> dict[str, Any]:
        if isinstance(value, Refusal):
            return {"ok": False, "kind": value.kind, "error": value.error}
        return {"ok": True} if key is None else {"ok": True, key: encode(value)}

    def from_payload(payload: JsonObject) -> T | Refusal:
        if payload.get("ok") is not True:
            return Refusal(str(payload.get("kind")), str(payload.get("error", "no error text")))
        return parse(None if key is None else payload[key])

    return Codec(kind, to_payload, from_payload)


def _nothing(_value: object) -> None:
    return None


def _empty(_value: object) -> dict[str, Any]:
    return {}


def _statuses_to_payload(statuses: list[SubscriptionStatus]) -> list[dict[str, Any]]:
    return [status_to_payload(s) for s in statuses]


def _statuses_from_payload(items: list[JsonObject]) -> list[SubscriptionStatus]:
    return [status_from_payload(item) for item in items]


REF: Codec[InstrumentRef] = Codec("rpc.md.ref", ref_to_payload, ref_from_payload)

SUBSCRIBE_CALL: Call[SubscribeRequest, SubscriptionStatus | Refusal] = Call(
    SUBSCRIBE,
    Codec(SUBSCRIBE, _subscribe_to_payload, _subscribe_from_payload),
    _reply(SUBSCRIBE, "status", status_to_payload, status_from_payload),
)
UNSUBSCRIBE_CALL: Call[InstrumentRef, Refusal | None] = Call(
    UNSUBSCRIBE, REF, _reply(UNSUBSCRIBE, None, _nothing, _nothing)
)
SUBSCRIPTIONS_CALL: Call[None, list[SubscriptionStatus] | Refusal] = Call(
    SUBSCRIPTIONS,
    Codec(SUBSCRIPTIONS, _empty, _nothing),
    _reply(SUBSCRIPTIONS, "subscriptions", _statuses_to_payload, _statuses_from_payload),
)
BOOK_CALL: Call[InstrumentRef, BookSnapshot | Refusal] = Call(
    BOOK, REF, _reply(BOOK, "book", book_to_payload, book_from_payload)
)
