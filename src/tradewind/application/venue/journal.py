"""Collects what one venue operation touched and turns it into one batch of events for the listeners."""

from __future__ import annotations

from collections.abc import Callable

from tradewind.application.venue.account import VenueAccount
from tradewind.application.venue.events import (
    ExecutionEvent,
    OrderEvent,
    PositionEvent,
    VenueEvent,
    VenueListener,
    WalletEvent,
    listen,
)
from tradewind.application.venue.model import Execution, Order, PositionView, WalletView
from tradewind.domain.values import Category


class EventJournal:
    """Operations nest (a fill may fire a stop that places an order); events go out when the outermost ends."""

    def __init__(
        self,
        position_view: Callable[[VenueAccount, str], PositionView],
        wallet_view: Callable[[VenueAccount], WalletView],
    ) -> None:
        self._position_view = position_view
        self._wallet_view = wallet_view
        self._listeners: list[VenueListener] = []
        self._depth = 0
        self._executions: list[VenueEvent] = []
        self._orders: dict[str, tuple[VenueAccount, Order]] = {}
        self._positions: dict[tuple[str, str], VenueAccount] = {}
        self._wallets: dict[str, VenueAccount] = {}

    def subscribe(self, listener: VenueListener) -> Callable[[], None]:
        return listen(self._listeners, listener)

    @property
    def depth(self) -> int:
        return self._depth

    def begin(self) -> None:
        self._depth += 1

    def end(self) -> bool:
        """Close one level; at the outermost, publish the batch and return True."""
        self._depth -= 1
        if self._depth:
            return False
        self.flush()
        return True

    def execution(self, account: VenueAccount, execution: Execution) -> None:
        self._executions.append(ExecutionEvent(account.api_key, execution))
        self._wallets[account.api_key] = account

    def order(self, account: VenueAccount, order: Order) -> None:
        self._orders[order.order_id] = (account, order)
        self._wallets[account.api_key] = account
        if order.category is Category.LINEAR:
            self._positions[(account.api_key, order.symbol)] = account

    def position(self, account: VenueAccount, symbol: str) -> None:
        self._positions[(account.api_key, symbol)] = account
        self._wallets[account.api_key] = account

    def flush(self) -> None:
        """Publish executions, then orders, positions and wallets (latest state of each), as Bybit orders them."""
        if not self._listeners:  # nobody listens: skip building the views
            self._executions, self._orders, self._positions, self._wallets = [], {}, {}, {}
            return
        events: list[VenueEvent] = list(self._executions)
        events.extend(OrderEvent(account.api_key, order) for account, order in self._orders.values())
        for key in sorted(self._positions):
            account = self._positions[key]
            events.append(PositionEvent(account.api_key, self._position_view(account, key[1])))
        events.extend(WalletEvent(a.api_key, self._wallet_view(a)) for a in self._wallets.values())
        self._executions, self._orders, self._positions, self._wallets = [], {}, {}, {}
        if events:
            for listener in list(self._listeners):
                listener(events)
