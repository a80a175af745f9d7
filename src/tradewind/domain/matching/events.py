"""What the matching engine reports: order statuses, reject reasons, fills, L2 changes, snapshots.

Report, Fill and LevelChange are ``@final`` classes with ``__slots__``: compiled with mypyc they are native
classes (built in tens of nanoseconds, fields read by name without a dict). Read their fields by name and
treat them as read-only; they compare by value like the NamedTuples they replace (docs/benchmarks.md).
The enums live in ``statuses`` (never compiled), so both builds of the core share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import final

from tradewind.domain.matching.statuses import OrderStatus, RejectReason
from tradewind.domain.values import Side

__all__ = ["Fill", "L2Snapshot", "LevelChange", "OrderStatus", "RejectReason", "Report", "RestingOrderView"]


@final
class Fill:
    """One match between a resting (maker) and an incoming (taker) order; price in ticks, qty in lots."""

    __slots__ = ("maker_leaves", "maker_order_id", "price", "qty", "taker_order_id", "taker_side", "trade_id", "ts")

    def __init__(  # noqa: PLR0917 -- positional like the NamedTuple it replaces
        self,
        trade_id: int,
        price: int,
        qty: int,
        taker_side: Side,
        maker_order_id: str,
        taker_order_id: str,
        maker_leaves: int,
        ts: int,
    ) -> None:
        self.trade_id = trade_id
        self.price = price
        self.qty = qty
        self.taker_side = taker_side
        self.maker_order_id = maker_order_id
        self.taker_order_id = taker_order_id
        self.maker_leaves = maker_leaves
        self.ts = ts

    def fields(self) -> tuple[int, int, int, Side, str, str, int, int]:
        """The fields in declaration order."""
        return (
            self.trade_id,
            self.price,
            self.qty,
            self.taker_side,
            self.maker_order_id,
            self.taker_order_id,
            self.maker_leaves,
            self.ts,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fill) and self.fields() == other.fields()

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        return (
            f"Fill(trade_id={self.trade_id!r}, price={self.price!r}, qty={self.qty!r}, taker_side={self.taker_side!r}, "
            f"maker_order_id={self.maker_order_id!r}, taker_order_id={self.taker_order_id!r}, "
            f"maker_leaves={self.maker_leaves!r}, ts={self.ts!r})"
        )


@final
class LevelChange:
    """L2 change: the new total resting lots at one price in ticks (0 = the level is gone)."""

    __slots__ = ("price", "qty", "side")

    def __init__(self, side: Side, price: int, qty: int) -> None:
        self.side = side
        self.price = price
        self.qty = qty

    def fields(self) -> tuple[Side, int, int]:
        """The fields in declaration order."""
        return (self.side, self.price, self.qty)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LevelChange) and self.fields() == other.fields()

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        return f"LevelChange(side={self.side!r}, price={self.price!r}, qty={self.qty!r})"


@final
class Report:
    """Outcome of one submit / cancel / amend; ``seq`` is the book sequence number after it."""

    __slots__ = ("changes", "filled", "fills", "leaves", "order_id", "reason", "seq", "status")

    def __init__(  # noqa: PLR0917 -- positional like the NamedTuple it replaces
        self,
        order_id: str,
        status: OrderStatus,
        reason: RejectReason | None,
        filled: int,
        leaves: int,
        fills: Sequence[Fill],
        changes: Sequence[LevelChange],
        seq: int,
    ) -> None:
        self.order_id = order_id
        self.status = status
        self.reason = reason
        self.filled = filled
        self.leaves = leaves
        self.fills = fills
        self.changes = changes
        self.seq = seq

    def fields(
        self,
    ) -> tuple[str, OrderStatus, RejectReason | None, int, int, Sequence[Fill], Sequence[LevelChange], int]:
        """The fields in declaration order (``fills`` and ``changes`` as given: a list or a tuple)."""
        return (self.order_id, self.status, self.reason, self.filled, self.leaves, self.fills, self.changes, self.seq)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return False
        mine, theirs = self.fields(), other.fields()
        return (
            mine[:5] == theirs[:5]
            and list(self.fills) == list(other.fills)
            and list(self.changes) == list(other.changes)
            and self.seq == other.seq
        )

    def __hash__(self) -> int:
        return hash((*self.fields()[:5], tuple(self.fills), tuple(self.changes), self.seq))

    def __repr__(self) -> str:
        return (
            f"Report(order_id={self.order_id!r}, status={self.status!r}, reason={self.reason!r}, "
            f"filled={self.filled!r}, leaves={self.leaves!r}, fills={self.fills!r}, changes={self.changes!r}, "
            f"seq={self.seq!r})"
        )


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
