"""BusMarketData: the ``MarketData`` port of a process without a collector, by request/reply to the market-data service.

Bad input raises ValueError and an unknown subscription KeyError, as the local service does; a service that does
not answer raises the bus's own BusError (RequestTimeout, RemoteError).
"""

from __future__ import annotations

from tradewind.application.marketdata.rpc import (
    INVALID,
    NOT_FOUND,
    SUBSCRIBE,
    SUBSCRIPTIONS,
    UNSUBSCRIBE,
    ref_to_payload,
    status_from_payload,
)
from tradewind.application.ports.bus import Bus, BusError, JsonObject
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef


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

    async def subscribe(self, ref: InstrumentRef, depth: int = 50) -> SubscriptionStatus:
        reply = await self._call(SUBSCRIBE, {**ref_to_payload(ref), "depth": depth})
        status = status_from_payload(reply["status"])
        self._known = [s for s in self._known if s.ref != status.ref] + [status]
        return status

    async def unsubscribe(self, ref: InstrumentRef) -> None:
        await self._call(UNSUBSCRIBE, ref_to_payload(ref))
        self._known = [s for s in self._known if s.ref != ref]

    async def refresh(self) -> list[SubscriptionStatus]:
        """Fetch the service's subscriptions (with their live counters) and keep them for ``subscriptions()``."""
        reply = await self._call(SUBSCRIPTIONS, {})
        self._known = [status_from_payload(item) for item in reply["subscriptions"]]
        return list(self._known)

    def subscriptions(self) -> list[SubscriptionStatus]:
        return list(self._known)

    def book(self, ref: InstrumentRef) -> BookSnapshot | None:
        """Books are not mirrored here: they travel as ``md.book.*`` events; subscribe to those instead."""
        return None

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
