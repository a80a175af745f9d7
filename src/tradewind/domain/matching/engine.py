"""The matching engine: validates operations, drives the price-time book and reports every outcome."""

from __future__ import annotations

import sys
from bisect import bisect_left
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from tradewind.domain.instruments import Instrument
from tradewind.domain.values import OrderType, Side, TimeInForce

from .core import ID_MEMORY, PriceTimeBook, Record
from .events import Fill, L2Snapshot, LevelChange, OrderStatus, RejectReason, Report, RestingOrderView

# Enum members bound once (Final: a C static when compiled): a lookup on the class costs more than a cancel.
_BUY: Final = Side.BUY
_LIMIT: Final = OrderType.LIMIT
_GTC: Final = TimeInForce.GTC
_FOK: Final = TimeInForce.FOK
_POST_ONLY: Final = TimeInForce.POST_ONLY
_NEW: Final = OrderStatus.NEW
_PARTIAL: Final = OrderStatus.PARTIALLY_FILLED
_FILLED: Final = OrderStatus.FILLED
_CANCELLED: Final = OrderStatus.CANCELLED
_REJECTED: Final = OrderStatus.REJECTED
_R_QTY: Final = RejectReason.NON_POSITIVE_QTY
_R_PRICE: Final = RejectReason.NON_POSITIVE_PRICE
_R_MISSING_PRICE: Final = RejectReason.MISSING_PRICE
_R_MARKET_PRICE: Final = RejectReason.PRICE_ON_MARKET_ORDER
_R_DUPLICATE: Final = RejectReason.DUPLICATE_ORDER_ID
_R_UNKNOWN: Final = RejectReason.UNKNOWN_ORDER
_R_POST_ONLY: Final = RejectReason.POST_ONLY_WOULD_TAKE
_R_FOK: Final = RejectReason.FOK_NOT_FILLABLE
_R_NO_LIQUIDITY: Final = RejectReason.NO_LIQUIDITY
_R_CLOSED: Final = RejectReason.ORDER_CLOSED
_R_NOTHING: Final = RejectReason.NOTHING_TO_AMEND

_EMPTY: Final[tuple[()]] = ()
_NO_LIMIT: Final = -sys.maxsize  # key bound of a market order: every resting level qualifies


class MatchingEngine(PriceTimeBook):
    """Price-time priority limit order book for one instrument, in integer ticks and lots.

    Every operation returns a Report; ``seq`` grows by one per operation that changed the book.
    """

    def __init__(self, instrument: Instrument, *, id_memory: int = ID_MEMORY) -> None:
        super().__init__(id_memory)
        self.instrument = instrument
        self.seq = 0

    # --- operations -------------------------------------------------------------------------------

    def submit(  # noqa: PLR0917 -- the shared engine contract
        self,
        order_id: str,
        side: Side,
        order_type: OrderType,
        qty: int,
        price: int | None = None,
        tif: TimeInForce = _GTC,
        ts: int = 0,
    ) -> Report:
        """Submit a limit or market order; ``qty`` in lots, ``price`` in ticks (limit orders only)."""
        if qty <= 0:
            return self._reject(order_id, _R_QTY)
        if order_type is _LIMIT:
            if price is None:
                return self._reject(order_id, _R_MISSING_PRICE)
            if price <= 0:
                return self._reject(order_id, _R_PRICE)
        elif price is not None:
            return self._reject(order_id, _R_MARKET_PRICE)
        orders = self._orders
        if order_id in orders or order_id in self._closed or (self._closed_old and order_id in self._closed_old):
            return self._reject(order_id, _R_DUPLICATE)
        if side is _BUY:
            own, opp = self._bids, self._asks
        else:
            own, opp = self._asks, self._bids
        limit_key = _NO_LIMIT if price is None else price * opp.ksign
        okeys = opp.keys
        if not okeys or okeys[-1] < limit_key:
            # Nothing to take. The most common path, so resting is inlined here (see PriceTimeBook._rest).
            if price is None or (tif is not _GTC and tif is not _POST_ONLY):
                return self._reject(order_id, _R_FOK if tif is _FOK else _R_NO_LIQUIDITY)
            rec = Record(order_id, side, price, qty, 0, tif is _POST_ONLY)
            key = -limit_key
            level = own.levels.get(key)
            if level is None:
                own.levels[key] = [rec]
                own.qty[key] = lq = qty
                keys = own.keys
                if not keys or key > keys[-1]:
                    keys.append(key)
                else:
                    keys.insert(bisect_left(keys, key), key)
            else:
                level.append(rec)
                qd = own.qty
                qd[key] = lq = qd[key] + qty
            orders[order_id] = rec
            self.seq = seq = self.seq + 1
            return Report(order_id, _NEW, None, 0, qty, _EMPTY, (LevelChange(side, price, lq),), seq)
        if tif is _POST_ONLY:
            return self._reject(order_id, _R_POST_ONLY)
        if tif is _FOK and not opp.available(limit_key, qty):
            return self._reject(order_id, _R_FOK)
        fills: list[Fill] = []
        changes: list[LevelChange] = []
        filled = self._take(opp, limit_key, qty, order_id, side, ts, fills, changes)
        leaves = qty - filled
        if not leaves:
            status = _FILLED
            self._closed.add(order_id)
        elif price is None or tif is not _GTC:
            status = _CANCELLED
            leaves = 0
            self._closed.add(order_id)
        else:
            status = _PARTIAL
            lq = self._rest(own, Record(order_id, side, price, leaves, filled, False))
            changes.append(LevelChange(side, price, lq))
        if len(self._closed) >= self._id_memory:
            self._age_closed()
        self.seq = seq = self.seq + 1
        return Report(order_id, status, None, filled, leaves, fills, changes, seq)

    def cancel(self, order_id: str, ts: int = 0) -> Report:
        """Cancel a live order; its remaining lots leave the book."""
        rec = self._orders.pop(order_id, None)
        if rec is None:
            return self._reject_missing(order_id)
        side, price = rec.side, rec.price
        closed = self._closed
        closed.add(order_id)
        if len(closed) >= self._id_memory:
            self._age_closed()
        # PriceTimeBook._unrest, inlined: cancels are a quarter of the load.
        book = self._bids if side is _BUY else self._asks
        key = price * book.ksign
        qd = book.qty
        lq = qd[key] - rec.leaves
        rec.leaves = 0
        if lq:
            qd[key] = lq
        else:
            del qd[key], book.levels[key]
            keys = book.keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
        self.seq = seq = self.seq + 1
        change = LevelChange(side, price, lq)
        return Report(order_id, _CANCELLED, None, rec.filled, 0, _EMPTY, (change,), seq)

    def amend(self, order_id: str, *, price: int | None = None, qty: int | None = None, ts: int = 0) -> Report:
        """Change a live order's price and/or remaining lots (``qty`` = new leaves).

        A size decrease at the same price keeps time priority; a price change or size increase loses it,
        and a new price that crosses matches as a taker (a post-only order is rejected instead).
        """
        rec = self._orders.get(order_id)
        if rec is None:
            return self._reject_missing(order_id)
        if qty is not None and qty <= 0:
            return self._reject(order_id, _R_QTY, rec)
        if price is not None and price <= 0:
            return self._reject(order_id, _R_PRICE, rec)
        side, old_price, old_leaves, filled, post_only = rec.side, rec.price, rec.leaves, rec.filled, rec.post_only
        new_price = old_price if price is None else price
        new_leaves = old_leaves if qty is None else qty
        if new_price == old_price and new_leaves == old_leaves:
            return self._reject(order_id, _R_NOTHING, rec)
        own, opp = (self._bids, self._asks) if side is _BUY else (self._asks, self._bids)
        if new_price == old_price and new_leaves < old_leaves:
            key = old_price * own.ksign
            own.qty[key] = lq = own.qty[key] - old_leaves + new_leaves
            rec.leaves = new_leaves
            self.seq = seq = self.seq + 1
            status = _PARTIAL if filled else _NEW
            change = LevelChange(side, old_price, lq)
            return Report(order_id, status, None, filled, new_leaves, _EMPTY, (change,), seq)
        limit_key = new_price * opp.ksign
        crosses = bool(opp.keys) and opp.keys[-1] >= limit_key
        if crosses and post_only:
            return self._reject(order_id, _R_POST_ONLY, rec)
        changes: list[LevelChange] = []
        fills: list[Fill] = []
        old_lq = self._unrest(own, rec)
        if new_price != old_price:  # at the same price the re-rest below reports the level's net change
            changes.append(LevelChange(side, old_price, old_lq))
        if crosses:
            taken = self._take(opp, limit_key, new_leaves, order_id, side, ts, fills, changes)
            filled += taken
            new_leaves -= taken
        if new_leaves:
            lq = self._rest(own, Record(order_id, side, new_price, new_leaves, filled, post_only))
            changes.append(LevelChange(side, new_price, lq))
            status = _PARTIAL if filled else _NEW
        else:
            status = _FILLED
            del self._orders[order_id]
            self._closed.add(order_id)
        if len(self._closed) >= self._id_memory:
            self._age_closed()
        self.seq = seq = self.seq + 1
        return Report(order_id, status, None, filled, new_leaves, fills, changes, seq)

    # --- queries ----------------------------------------------------------------------------------

    def best_bid(self) -> int | None:
        keys = self._bids.keys
        return keys[-1] if keys else None

    def best_ask(self) -> int | None:
        keys = self._asks.keys
        return -keys[-1] if keys else None

    def mid(self) -> Decimal | None:
        """Mid price in price units, None when either side is empty."""
        bids, asks = self._bids.keys, self._asks.keys
        if not bids or not asks:
            return None
        return self.instrument.tick_size * (bids[-1] - asks[-1]) / 2

    def snapshot(self, depth: int | None = None) -> L2Snapshot:
        """Aggregated book, ``depth`` levels per side (all when None)."""
        if depth is not None and depth < 0:
            raise ValueError(f"snapshot depth must be >= 0 or None, got {depth}")
        return L2Snapshot(self.seq, self._bids.depth(depth), self._asks.depth(depth))

    def order(self, order_id: str) -> RestingOrderView | None:
        """The live order ``order_id``, or None if it is not resting."""
        rec = self._orders.get(order_id)
        if rec is None:
            return None
        return RestingOrderView(rec.order_id, rec.side, rec.price, rec.leaves, rec.filled)

    def open_order_ids(self) -> Iterator[str]:
        """Ids of the live orders (a snapshot: safe to cancel while iterating)."""
        return iter(tuple(self._orders))

    # --- rejects ----------------------------------------------------------------------------------

    def _reject(self, order_id: str, reason: RejectReason, rec: Record | None = None) -> Report:
        filled, leaves = (0, 0) if rec is None else (rec.filled, rec.leaves)
        return Report(order_id, _REJECTED, reason, filled, leaves, _EMPTY, _EMPTY, self.seq)

    def _reject_missing(self, order_id: str) -> Report:
        return self._reject(order_id, _R_CLOSED if self._is_closed(order_id) else _R_UNKNOWN)
