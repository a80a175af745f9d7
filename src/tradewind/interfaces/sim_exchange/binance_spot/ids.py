"""Binance's integer ``orderId`` for the venue's uuid order ids: numbered in creation order, stable for the process."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tradewind.application.venue import Order, OrderEvent, SimVenue, VenueEvent
from tradewind.application.venue.account import VenueAccount

_PRUNE_AT = 100_000  # ids of orders the venue has forgotten are dropped once this many are held


class OrderIds:
    """Every venue order gets the next integer when it is created (whichever protocol placed it)."""

    def __init__(self, venue: SimVenue) -> None:
        self._venue = venue
        self._by_uuid: dict[str, int] = {}
        self._by_int: dict[int, tuple[str, str]] = {}  # id -> (api key, venue order id)
        self._next = 1
        self._prune_at = _PRUNE_AT
        existing = [o for account in venue.accounts() for o in account.orders_newest_first(open_only=False)]
        for order in sorted(existing, key=lambda o: (o.created_ms, o.order_id)):
            self.of(order.account, order.order_id)
        self._unsubscribe: Callable[[], None] = venue.subscribe(self._on_events)

    def close(self) -> None:
        self._unsubscribe()

    def of(self, api_key: str, order_id: str) -> int:
        """The integer id of a venue order (assigned now if the order is new to this registry)."""
        number = self._by_uuid.get(order_id)
        if number is None:
            if len(self._by_int) >= self._prune_at:
                self._prune()
            number = self._next
            self._next += 1
            self._by_uuid[order_id] = number
            self._by_int[number] = (api_key, order_id)
        return number

    def of_order(self, order: Order) -> int:
        return self.of(order.account, order.order_id)

    def find(self, account: VenueAccount, number: int) -> Order | None:
        """The account's order with this integer id, if the venue still knows it."""
        entry = self._by_int.get(number)
        if entry is None or entry[0] != account.api_key:
            return None
        return account.find_order(entry[1])

    def _on_events(self, events: Sequence[VenueEvent]) -> None:
        for event in events:
            if isinstance(event, OrderEvent):
                self.of_order(event.order)

    def _prune(self) -> None:
        known: set[str] = set()
        for account in self._venue.accounts():
            known.update(account.open_orders)
            known.update(o.order_id for o in account.history)
        for number, (_, order_id) in list(self._by_int.items()):
            if order_id not in known:
                del self._by_int[number], self._by_uuid[order_id]
        self._prune_at = max(_PRUNE_AT, 2 * len(self._by_int))
