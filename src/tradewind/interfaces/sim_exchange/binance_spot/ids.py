"""Binance's integer ids for the venue's uuid ones: ``orderId`` of each order and the ``myTrades`` id of each execution,
numbered in creation order, stable for the process."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tradewind.application.venue import Execution, ExecutionEvent, Order, OrderEvent, SimVenue, VenueEvent
from tradewind.application.venue.account import VenueAccount

_PRUNE_AT = 100_000  # ids of orders the venue has forgotten are dropped once this many are held


class OrderIds:
    """Every venue order gets the next integer when it is created (whichever protocol placed it); so does every
    execution, the maker's and the taker's side of one trade sharing theirs (as on Binance), while the extra pieces of
    a fill cut by ``odd_partial_fills`` get their own, so no two executions of one order share an id."""

    def __init__(self, venue: SimVenue) -> None:
        self._venue = venue
        self._by_uuid: dict[str, int] = {}
        self._by_int: dict[int, tuple[str, str]] = {}  # id -> (api key, venue order id)
        self._next = 1
        self._prune_at = _PRUNE_AT
        self._trades: dict[str, int] = {}  # venue exec id -> myTrades id
        self._next_trade = 1
        existing = [o for account in venue.accounts() for o in account.orders_newest_first(open_only=False)]
        for order in sorted(existing, key=lambda o: (o.created_ms, o.order_id)):
            self.of(order.account, order.order_id)
        # Executions made before this registry (a venue served again) are numbered first, in the order they happened.
        made = sorted(
            (e for account in venue.accounts() for e in account.executions), key=lambda e: (e.exec_time_ms, e.seq)
        )
        self._on_events([ExecutionEvent(e.account, e) for e in made])
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

    def trade_of(self, execution: Execution) -> int:
        """The ``myTrades`` id of an execution (numbered now if it is new to this registry)."""
        number = self._trades.get(execution.exec_id)
        if number is None:
            number = self._trades[execution.exec_id] = self._take_trade_id()
        return number

    def _take_trade_id(self) -> int:
        number = self._next_trade
        self._next_trade += 1
        return number

    def _on_events(self, events: Sequence[VenueEvent]) -> None:
        shared: dict[tuple[str, int], int] = {}  # (market, trade) -> the id of its first execution on each side
        pieces: dict[tuple[str, int], int] = {}  # (order, trade) -> executions of it so far in this operation
        if len(self._trades) >= self._prune_at:
            self._prune()
        for event in events:
            if isinstance(event, OrderEvent):
                self.of_order(event.order)
            elif isinstance(event, ExecutionEvent):
                e = event.execution
                piece = pieces[e.order_id, e.trade_id] = pieces.get((e.order_id, e.trade_id), -1) + 1
                market = (f"{e.category.value}.{e.symbol}", e.trade_id)
                if piece == 0 and market in shared:
                    self._trades[e.exec_id] = shared[market]
                elif piece == 0:
                    self._trades[e.exec_id] = shared[market] = self._take_trade_id()
                else:
                    self._trades[e.exec_id] = self._take_trade_id()

    def _prune(self) -> None:
        known: set[str] = set()
        for account in self._venue.accounts():
            known.update(account.open_orders)
            known.update(o.order_id for o in account.history)
        for number, (_, order_id) in list(self._by_int.items()):
            if order_id not in known:
                del self._by_int[number], self._by_uuid[order_id]
        kept = {e.exec_id for account in self._venue.accounts() for e in account.executions}
        self._trades = {exec_id: n for exec_id, n in self._trades.items() if exec_id in kept}
        self._prune_at = max(_PRUNE_AT, 2 * len(self._by_int))
