"""What the matching engine reports: order statuses, reject reasons, fills, L2 changes, snapshots.

Report, Fill and LevelChange are immutable NamedTuples rather than frozen dataclasses: the engine
creates several per operation and a tuple is built about ten times faster (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from tradewind.domain.values import Side


class OrderStatus(StrEnum):
    """Status of an order after an operation; the value is Bybit's spelling."""

    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"


class RejectReason(StrEnum):
    """Why the engine refused an operation; a rejected operation changes nothing."""

    NON_POSITIVE_QTY = "non_positive_qty"
    NON_POSITIVE_PRICE = "non_positive_price"
    MISSING_PRICE = "missing_price"
    PRICE_ON_MARKET_ORDER = "price_on_market_order"
    DUPLICATE_ORDER_ID = "duplicate_order_id"
    UNKNOWN_ORDER = "unknown_order"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    FOK_NOT_FILLABLE = "fok_not_fillable"
    NO_LIQUIDITY = "no_liquidity"
    ORDER_CLOSED = "order_closed"
    NOTHING_TO_AMEND = "nothing_to_amend"


class Fill(NamedTuple):
    """One match between a resting (maker) and an incoming (taker) order; price in ticks, qty in lots."""

    trade_id: int
    price: int
    qty: int
    taker_side: Side
    maker_order_id: str
    taker_order_id: str
    maker_leaves: int
    ts: int


class LevelChange(NamedTuple):
    """L2 change: the new total resting lots at one price in ticks (0 = the level is gone)."""

    side: Side
    price: int
    qty: int


class Report(NamedTuple):
    """Outcome of one submit / cancel / amend; ``seq`` is the book sequence number after it."""

    order_id: str
    status: OrderStatus
    reason: RejectReason | None
    filled: int
    leaves: int
    fills: Sequence[Fill]
    changes: Sequence[LevelChange]
    seq: int


@dataclass(frozen=True, slots=True)
class L2Snapshot:
    """Aggregated book at ``seq``: (price_ticks, qty_lots) pairs, best price first on each side."""

    seq: int
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class RestingOrderView:
    """A live order resting in the book."""

    order_id: str
    side: Side
    price: int
    leaves: int
    filled: int
