"""BusMarketData: the ``MarketData`` port of a process without a collector, by request/reply to the market-data service.

Bad input raises ValueError and an unknown subscription KeyError, as the local service does; a service that does
not answer raises the bus's own BusError (RequestTimeout, RemoteError). ``book()`` mirrors the ``md.book.*`` events
of each subscription this process has seen (``subscribe``, ``refresh``); ``fetch_book`` asks the collector itself.
"""

from __future__ import annotations

from typing import TypeVar

import structlog

from tradewind.application.messages.codec import Call, MalformedPayload, request
from tradewind.application.messages.market import BOOK
from tradewind.application.messages.marketdata import (
    BOOK_CALL,
    INVALID,
    NOT_FOUND,
    SUBSCRIBE_CALL,
    SUBSCRIPTIONS_CALL,
    UNSUBSCRIBE_CALL,
    Refusal,
    SubscribeRequest,
)
from tradewind.application.ports.bus import Bus, BusError, Message, Subscription
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef

Req = TypeVar("Req")
Rep = TypeVar("Rep")

log = structlog.get_logger(__name__)


class RemoteUnknownSubscription(KeyError):
    """The market-data service has no such subscription."""

    def __str__(self) -> str:
        return str(self.args[0])


class BusMarketData:
    """Subscribe, unsubscribe and list through the bus; ``subscriptions()`` is the list of the last ``refresh()``."""

    def __init__(self, bus: Bus, *, timeout: float = 5.0) -> None:
        self._bus = bus
        self._timeout = timeout
        self._known: list[SubscriptionStatus] = []
        self._books: dict[str, BookSnapshot] = {}
        self._mirrors: dict[str, Subscription] = {}

    async def subscribe(self, ref: InstrumentRef, depth: int = 50) -> SubscriptionStatus:
        await self._mirror(ref)  # before the request, so the first snapshot is not missed
        try:
            status = await self._call(SUBSCRIBE_CALL, SubscribeRequest(ref, depth))
        except BaseException:
            await self._unmirror(ref)
            raise
        self._known = [s for s in self._known if s.ref != status.ref] + [status]
        return status

    async def unsubscribe(self, ref: InstrumentRef) -> None:
        await self._call(UNSUBSCRIBE_CALL, ref)
        self._known = [s for s in self._known if s.ref != ref]
        await self._unmirror(ref)

    async def refresh(self) -> list[SubscriptionStatus]:
        """Fetch the service's subscriptions (with their live counters) and keep them for ``subscriptions()``."""
        self._known = await self._call(SUBSCRIPTIONS_CALL, None)
        for status in self._known:
            await self._mirror(status.ref)
        return list(self._known)

    def subscriptions(self) -> list[SubscriptionStatus]:
        return list(self._known)

    def book(self, ref: InstrumentRef) -> BookSnapshot | None:
        """The last ``md.book`` event of a mirrored subscription; None before the first one arrives."""
        return self._books.get(ref.topic("book"))

    async def fetch_book(self, ref: InstrumentRef) -> BookSnapshot | None:
        """The collector's current book of the subscription ``ref``; None when it has none (unknown or unsynced)."""
        try:
            return await self._call(BOOK_CALL, ref)
        except RemoteUnknownSubscription:
            return None

    async def close(self) -> None:
        mirrors, self._mirrors = list(self._mirrors.values()), {}
        for mirror in mirrors:
            await mirror.cancel()

    async def _mirror(self, ref: InstrumentRef) -> None:
        topic = ref.topic("book")
        if topic in self._mirrors:
            return

        async def on_book(message: Message) -> None:
            try:
                self._books[topic] = BOOK.decode(message.payload)
            except MalformedPayload as exc:  # one bad event must not end the mirror
                log.warning("marketdata.bad_book_event", topic=topic, error=str(exc))

        self._mirrors[topic] = await self._bus.subscribe(topic, on_book)

    async def _unmirror(self, ref: InstrumentRef) -> None:
        mirror = self._mirrors.pop(ref.topic("book"), None)
        if mirror is not None:
            await mirror.cancel()
        self._books.pop(ref.topic("book"), None)

    async def _call(self, call: Call[Req, Rep | Refusal], value: Req) -> Rep:
        """The typed result of a call; a refusal raises as the local service would (ValueError, KeyError)."""
        reply = await request(self._bus, call, value, timeout=self._timeout)
        if not isinstance(reply, Refusal):
            return reply
        if reply.kind == INVALID:
            raise ValueError(reply.error)
        if reply.kind == NOT_FOUND:
            raise RemoteUnknownSubscription(reply.error)
        raise BusError(f"{call.topic}: malformed reply {call.reply.encode(reply)!r}")
