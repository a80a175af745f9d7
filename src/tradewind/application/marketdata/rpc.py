"""The market-data service's responder: serves a ``MarketData`` on the ``rpc.md.*`` request/reply topics.

Requests and replies are typed (``application/messages/marketdata.py``); bad input and an unknown subscription
are answered as a ``Refusal``, so the caller can tell them apart from a broken service (which the bus reports).
"""

from __future__ import annotations

import structlog

from tradewind.application.messages.codec import MalformedPayload, serve
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
from tradewind.application.ports.bus import Bus, Subscription
from tradewind.application.ports.market_data import MarketData, SubscriptionStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef

log = structlog.get_logger(__name__)


class MarketDataResponder:
    """Serves a ``MarketData`` (the collector of this process) on the ``rpc.md.*`` topics of the bus."""

    def __init__(self, bus: Bus, market_data: MarketData) -> None:
        self._bus = bus
        self._market_data = market_data
        self._served: list[Subscription] = []

    async def start(self) -> None:
        self._served += [
            await serve(self._bus, SUBSCRIBE_CALL, self._subscribe, _invalid),
            await serve(self._bus, UNSUBSCRIBE_CALL, self._unsubscribe, _invalid),
            await serve(self._bus, SUBSCRIPTIONS_CALL, self._subscriptions, _invalid),
            await serve(self._bus, BOOK_CALL, self._book, _invalid),
        ]

    async def stop(self) -> None:
        served, self._served = self._served, []
        for subscription in served:
            await subscription.cancel()

    async def _subscribe(self, request: SubscribeRequest) -> SubscriptionStatus | Refusal:
        try:
            return await self._market_data.subscribe(request.ref, request.depth or 50)
        except ValueError as exc:
            return _refused(INVALID, exc)

    async def _unsubscribe(self, ref: InstrumentRef) -> Refusal | None:
        try:
            await self._market_data.unsubscribe(ref)
        except KeyError as exc:
            return _refused(NOT_FOUND, exc)
        return None

    async def _subscriptions(self, _request: None) -> list[SubscriptionStatus] | Refusal:
        return self._market_data.subscriptions()

    async def _book(self, ref: InstrumentRef) -> BookSnapshot | Refusal:
        book = self._market_data.book(ref)
        if book is None:
            return _refused(NOT_FOUND, KeyError(f"no book: {ref.exchange} {ref.category.value} {ref.symbol}"))
        return book


def _invalid(exc: MalformedPayload) -> Refusal:
    return _refused(INVALID, exc)


def _refused(kind: str, exc: Exception) -> Refusal:
    error = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    log.info("marketdata.rpc_refused", kind=kind, error=error)
    return Refusal(kind, error)
