"""A slow, obviously correct model of the matching rules, to check the engine against.

Orders live in one flat list; every match sorts the opposite side by (price, arrival) afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradewind.domain.matching import OrderStatus, RejectReason
from tradewind.domain.values import OrderType, Side, TimeInForce


@dataclass
class ModelOrder:
    order_id: str
    side: Side
    price: int
    leaves: int
    filled: int
    post_only: bool
    arrival: int


@dataclass(frozen=True)
class ModelFill:
    price: int
    qty: int
    maker_order_id: str
    maker_leaves: int


@dataclass(frozen=True)
class Outcome:
    status: OrderStatus
    reason: RejectReason | None = None
    filled: int = 0
    leaves: int = 0
    fills: tuple[ModelFill, ...] = ()
    cancelled: int = 0  # lots this operation took out of play without filling them
    added: int = 0  # lots an amend added to the order


@dataclass
class ReferenceBook:
    resting: list[ModelOrder] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    clock: int = 0

    # --- queries ---------------------------------------------------------------------------------
    def live(self, order_id: str) -> ModelOrder | None:
        return next((o for o in self.resting if o.order_id == order_id), None)

    def levels(self, side: Side) -> list[tuple[int, int]]:
        totals: dict[int, int] = {}
        for o in self.resting:
            if o.side is side:
                totals[o.price] = totals.get(o.price, 0) + o.leaves
        return sorted(totals.items(), reverse=side is Side.BUY)

    def _crosses(self, side: Side, price: int | None) -> bool:
        return any(self._reachable(o, side, price) for o in self.resting)

    @staticmethod
    def _reachable(maker: ModelOrder, taker_side: Side, price: int | None) -> bool:
        if maker.side is taker_side:
            return False
        if price is None:
            return True
        return maker.price <= price if taker_side is Side.BUY else maker.price >= price

    def _queue(self, side: Side, price: int | None) -> list[ModelOrder]:
        makers = [o for o in self.resting if self._reachable(o, side, price)]
        sign = 1 if side is Side.BUY else -1  # a buyer takes the cheapest ask first
        return sorted(makers, key=lambda o: (sign * o.price, o.arrival))

    def _match(self, side: Side, price: int | None, qty: int) -> tuple[int, tuple[ModelFill, ...]]:
        fills = []
        remaining = qty
        for maker in self._queue(side, price):
            if not remaining:
                break
            take = min(remaining, maker.leaves)
            maker.leaves -= take
            maker.filled += take
            remaining -= take
            fills.append(ModelFill(maker.price, take, maker.order_id, maker.leaves))
            if not maker.leaves:
                self.resting.remove(maker)
                self.closed.add(maker.order_id)
        return qty - remaining, tuple(fills)

    def _rest(self, order: ModelOrder) -> None:
        self.clock += 1
        order.arrival = self.clock
        self.resting.append(order)

    # --- operations ------------------------------------------------------------------------------
    def submit(  # noqa: PLR0917 -- mirrors MatchingEngine.submit
        self, order_id: str, side: Side, order_type: OrderType, qty: int, price: int | None, tif: TimeInForce
    ) -> Outcome:
        rejected = OrderStatus.REJECTED
        if qty <= 0:
            return Outcome(rejected, RejectReason.NON_POSITIVE_QTY)
        if order_type is OrderType.LIMIT and price is None:
            return Outcome(rejected, RejectReason.MISSING_PRICE)
        if order_type is OrderType.LIMIT and price is not None and price <= 0:
            return Outcome(rejected, RejectReason.NON_POSITIVE_PRICE)
        if order_type is OrderType.MARKET and price is not None:
            return Outcome(rejected, RejectReason.PRICE_ON_MARKET_ORDER)
        if self.live(order_id) is not None or order_id in self.closed:
            return Outcome(rejected, RejectReason.DUPLICATE_ORDER_ID)
        takes_only = order_type is OrderType.MARKET or tif in (TimeInForce.IOC, TimeInForce.FOK)
        if not self._crosses(side, price):
            if tif is TimeInForce.FOK:
                return Outcome(rejected, RejectReason.FOK_NOT_FILLABLE)
            if takes_only:
                return Outcome(rejected, RejectReason.NO_LIQUIDITY)
            assert price is not None
            self._rest(ModelOrder(order_id, side, price, qty, 0, tif is TimeInForce.POST_ONLY, 0))
            return Outcome(OrderStatus.NEW, leaves=qty)
        if tif is TimeInForce.POST_ONLY:
            return Outcome(rejected, RejectReason.POST_ONLY_WOULD_TAKE)
        if tif is TimeInForce.FOK and sum(o.leaves for o in self._queue(side, price)) < qty:
            return Outcome(rejected, RejectReason.FOK_NOT_FILLABLE)
        filled, fills = self._match(side, price, qty)
        if filled == qty:
            self.closed.add(order_id)
            return Outcome(OrderStatus.FILLED, filled=filled, fills=fills)
        if takes_only:
            self.closed.add(order_id)
            return Outcome(OrderStatus.CANCELLED, filled=filled, fills=fills, cancelled=qty - filled)
        assert price is not None
        self._rest(ModelOrder(order_id, side, price, qty - filled, filled, False, 0))
        return Outcome(OrderStatus.PARTIALLY_FILLED, filled=filled, leaves=qty - filled, fills=fills)

    def cancel(self, order_id: str) -> Outcome:
        order = self.live(order_id)
        if order is None:
            reason = RejectReason.ORDER_CLOSED if order_id in self.closed else RejectReason.UNKNOWN_ORDER
            return Outcome(OrderStatus.REJECTED, reason)
        self.resting.remove(order)
        self.closed.add(order_id)
        return Outcome(OrderStatus.CANCELLED, filled=order.filled, cancelled=order.leaves)

    def amend(self, order_id: str, price: int | None, qty: int | None) -> Outcome:
        order = self.live(order_id)
        if order is None:
            reason = RejectReason.ORDER_CLOSED if order_id in self.closed else RejectReason.UNKNOWN_ORDER
            return Outcome(OrderStatus.REJECTED, reason)

        def reject(reason: RejectReason) -> Outcome:
            return Outcome(OrderStatus.REJECTED, reason, filled=order.filled, leaves=order.leaves)

        if qty is not None and qty <= 0:
            return reject(RejectReason.NON_POSITIVE_QTY)
        if price is not None and price <= 0:
            return reject(RejectReason.NON_POSITIVE_PRICE)
        new_price = order.price if price is None else price
        new_qty = order.leaves if qty is None else qty
        if new_price == order.price and new_qty == order.leaves:
            return reject(RejectReason.NOTHING_TO_AMEND)
        if new_price == order.price and new_qty < order.leaves:
            cancelled = order.leaves - new_qty
            order.leaves = new_qty  # keeps its arrival: time priority survives a size decrease
            return Outcome(
                (OrderStatus.PARTIALLY_FILLED if order.filled else OrderStatus.NEW),
                filled=order.filled,
                leaves=new_qty,
                cancelled=cancelled,
            )
        crosses = self._crosses(order.side, new_price)
        if crosses and order.post_only:
            return reject(RejectReason.POST_ONLY_WOULD_TAKE)
        cancelled, added = max(0, order.leaves - new_qty), max(0, new_qty - order.leaves)
        self.resting.remove(order)
        filled, fills = self._match(order.side, new_price, new_qty) if crosses else (0, ())
        order.filled += filled
        order.leaves = new_qty - filled
        order.price = new_price
        if not order.leaves:
            self.closed.add(order_id)
            return Outcome(OrderStatus.FILLED, filled=order.filled, fills=fills, cancelled=cancelled, added=added)
        self._rest(order)
        return Outcome(
            (OrderStatus.PARTIALLY_FILLED if order.filled else OrderStatus.NEW),
            filled=order.filled,
            leaves=order.leaves,
            fills=fills,
            cancelled=cancelled,
            added=added,
        )
