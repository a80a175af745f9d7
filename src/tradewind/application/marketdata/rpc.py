"""MarketData over request/reply: the topics, their JSON codecs and the responder of the market-data service.

A reply is ``{"ok": true, ...}`` or ``{"ok": false, "kind": "invalid" | "not_found", "error": text}``, so the
caller can tell bad input and an unknown subscription apart from a broken service (which the bus reports itself).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from tradewind.application.ports.bus import Bus, JsonObject, Message, Subscription
from tradewind.application.ports.market_data import MarketData, SubscriptionStatus
from tradewind.domain.market import InstrumentRef, book_to_payload
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)

SUBSCRIBE = "rpc.md.subscribe"
UNSUBSCRIBE = "rpc.md.unsubscribe"
SUBSCRIPTIONS = "rpc.md.subscriptions"
BOOK = "rpc.md.book"

INVALID = "invalid"
NOT_FOUND = "not_found"


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


def _depth(payload: JsonObject) -> int | None:
    depth = payload.get("depth")
    if depth is None:
        return None
    if not isinstance(depth, int) or isinstance(depth, bool):
        raise ValueError(f"field 'depth' must be an integer, got {depth!r}")
    return depth


class MarketDataResponder:
    """Serves a ``MarketData`` (the collector of this process) on the ``rpc.md.*`` topics of the bus."""

    def __init__(self, bus: Bus, market_data: MarketData) -> None:
        self._bus = bus
        self._market_data = market_data
        self._served: list[Subscription] = []

    async def start(self) -> None:
        routes: dict[str, Callable[[Message], Awaitable[JsonObject]]] = {
            SUBSCRIBE: self._subscribe,
            UNSUBSCRIBE: self._unsubscribe,
            SUBSCRIPTIONS: self._subscriptions,
            BOOK: self._book,
        }
        for topic, responder in routes.items():
            self._served.append(await self._bus.serve(topic, responder))

    async def stop(self) -> None:
        served, self._served = self._served, []
        for subscription in served:
            await subscription.cancel()

    async def _subscribe(self, message: Message) -> JsonObject:
        try:
            ref, depth = ref_from_payload(message.payload), _depth(message.payload)
            status = await self._market_data.subscribe(ref, depth or 50)
        except ValueError as exc:
            return _refused(INVALID, exc)
        return {"ok": True, "status": status_to_payload(status)}

    async def _unsubscribe(self, message: Message) -> JsonObject:
        try:
            ref = ref_from_payload(message.payload)
        except ValueError as exc:
            return _refused(INVALID, exc)
        try:
            await self._market_data.unsubscribe(ref)
        except KeyError as exc:
            return _refused(NOT_FOUND, exc)
        return {"ok": True}

    async def _subscriptions(self, _message: Message) -> JsonObject:
        return {"ok": True, "subscriptions": [status_to_payload(s) for s in self._market_data.subscriptions()]}

    async def _book(self, message: Message) -> JsonObject:
        try:
            ref = ref_from_payload(message.payload)
        except ValueError as exc:
            return _refused(INVALID, exc)
        book = self._market_data.book(ref)
        if book is None:
            return _refused(NOT_FOUND, KeyError(f"no book: {ref.exchange} {ref.category.value} {ref.symbol}"))
        return {"ok": True, "book": book_to_payload(book)}


def _refused(kind: str, exc: Exception) -> JsonObject:
    error = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    log.info("marketdata.rpc_refused", kind=kind, error=error)
    return {"ok": False, "kind": kind, "error": error}
