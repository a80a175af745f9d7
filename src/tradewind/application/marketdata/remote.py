"""BusMarketData: the ``MarketData`` port of a process without a collector, by request/reply to the market-data service.

Bad input raises ValueError and an unknown subscription KeyError, as the local service does; a service that does
not answer raises the bus's own BusError (RequestTimeout, RemoteError). ``book()`` mirrors the ``md.book.*`` events
of each subscription this process has seen (``subscribe``, ``refresh``); ``fetch_book`` asks the collector itself.
"""

from __future__ import annotations

import structlog

from tradewind.application.marketdata.rpc import (
    BOOK,
    INVALID,
    NOT_FOUND,
    SUBSCRIBE,
    SUBSCRIPTIONS,
    UNSUBSCRIBE,
    ref_to_payload,
    status_from_payload,
)
from tradewind.application.ports.bus import Bus, BusError, JsonObject, Message, Subscription
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef, PayloadError, book_from_payload

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
            reply = await self._call(SUBSCRIBE, {**ref_to_payload(ref), "depth": depth})
        except BaseException:
            await self._unmirror(ref)
            raise
        status = status_from_payload(reply["status"])
        self._known = [s for s in self._known if s.ref != status.ref] + [status]
        return status

    async def unsubscribe(self, ref: InstrumentRef) -> None:
        await self._call(UNSUBSCRIBE, ref_to_payload(ref))
        self._known = [s for s in self._known if s.ref != ref]
        await self._unmirror(ref)

    async def refresh(self) -> list[SubscriptionStatus]:
        """Fetch the service's subscriptions (with their live counters) and keep them for ``subscriptions()``."""
        reply = await self._call(SUBSCRIPTIONS, {})
        self._known = [status_from_payload(item) for item in reply["subscriptions"]]
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
            reply = await self._call(BOOK, ref_to_payload(ref))
        except RemoteUnknownSubscription:
            return None
        return book_from_payload(reply["book"])

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
                self._books[topic] = book_from_payload(message.payload)
            except PayloadError as exc:  # one bad event must not end the mirror
                log.warning("marketdata.bad_book_event", topic=topic, error=str(exc))

        self._mirrors[topic] = await self._bus.subscribe(topic, on_book)

    async def _unmirror(self, ref: InstrumentRef) -> None:
        mirror = self._mirrors.pop(ref.topic("book"), None)
        if mirror is not None:
            await mirror.cancel()
        self._books.pop(ref.topic("book"), None)

    async def _call(self, topic: str, payload: JsonObject) -> JsonObject:
        reply = await self._bus.request(topic, payload, timeout=self._timeout)
        if reply.get("ok") is True:
            return reply
        kind, error = reply.get("kind"), str(reply.get("error", "no error text"))
        if kind == INVALID:
            raise ValueError(error)
        if kind == NOT_FOUND:
            raise RemoteUnknownSubscription(error)
        raise BusError(f"{topic}: malformed reply {dict(reply)!r}")
