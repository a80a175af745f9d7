"""The price-time priority book: resting levels per side and the crossing loop, in integer ticks and lots.

Each side keeps ``key -> list of Records`` (time order) plus ``key -> total lots`` and an ascending
key list whose last element is the best level: key = price for bids and -price for asks, so one crossing
loop serves both sides. A cancelled or filled record stays where it is with leaves set to 0 (lazy
deletion) and is skipped when it reaches the front; an emptied level is dropped whole.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Final, final

from tradewind.domain.values import Side

from .events import Fill, LevelChange

# Ids of closed orders are remembered (duplicates refused, "closed" answers) in two generations of up
# to this many ids each, so at least the last ID_MEMORY closed ids are known. About 60 bytes per id.
ID_MEMORY: Final = 500_000
_BUY: Final = Side.BUY


@final
class Record:
    """A live (or lazily deleted) order in a level: mutated in place on every fill; leaves 0 = closed."""

    __slots__ = ("filled", "leaves", "order_id", "post_only", "price", "side")

    def __init__(  # noqa: PLR0917 -- positional on purpose: built on the hot path
        self, order_id: str, side: Side, price: int, leaves: int, filled: int, post_only: bool
    ) -> None:
        self.order_id = order_id
        self.side = side
        self.price = price  # ticks
        self.leaves = leaves  # lots
        self.filled = filled  # lots
        self.post_only = post_only


class BookSide:
    """One side of the book; ``ksign`` maps price to key and back (+1 for bids, -1 for asks)."""

    __slots__ = ("keys", "ksign", "levels", "qty", "side")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.ksign = 1 if side is _BUY else -1
        self.levels: dict[int, list[Record]] = {}
        self.qty: dict[int, int] = {}
        self.keys: list[int] = []

    def depth(self, limit: int | None) -> list[tuple[int, int]]:
        """(price, lots) per level, best first, at most ``limit`` levels (all when None)."""
        keys = self.keys if limit is None else self.keys[max(len(self.keys) - limit, 0) :] if limit > 0 else []
        qty, ksign = self.qty, self.ksign
        return [(k * ksign, qty[k]) for k in reversed(keys)]

    def available(self, limit_key: int, need: int) -> bool:
        """Whether at least ``need`` lots rest at keys from the best down to ``limit_key``."""
        qty = self.qty
        for k in reversed(self.keys):
            if k < limit_key:
                return False
            need -= qty[k]
            if need <= 0:
                return True
        return False


class PriceTimeBook:
    """Order records, both sides and the crossing loop; the engine adds validation and reports."""

    def __init__(self, id_memory: int = ID_MEMORY) -> None:
        if id_memory < 1:
            raise ValueError(f"id_memory must be positive, got {id_memory}")
        self._bids = BookSide(Side.BUY)
        self._asks = BookSide(Side.SELL)
        # Live orders only, so the table the hot path probes stays small and in cache.
        self._orders: dict[str, Record] = {}
        self._closed: set[str] = set()
        self._closed_old: set[str] = set()
        self._id_memory = id_memory
        self._trade_id = 0

    def _is_closed(self, order_id: str) -> bool:
        return order_id in self._closed or order_id in self._closed_old

    def _age_closed(self) -> None:
        """Start a new generation of closed ids once the current one is full, dropping the oldest."""
        if len(self._closed) >= self._id_memory:
            self._closed_old = self._closed
            self._closed = set()

    def _rest(self, book: BookSide, rec: Record) -> int:
        """Put ``rec`` at the back of its level; return the level's new total lots."""
        key = rec.price * book.ksign
        lq = rec.leaves
        level = book.levels.get(key)
        if level is None:
            book.levels[key] = [rec]
            book.qty[key] = lq
            keys = book.keys
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                keys.insert(bisect_left(keys, key), key)
        else:
            level.append(rec)
            book.qty[key] = lq = book.qty[key] + lq
        self._orders[rec.order_id] = rec
        return lq

    def _unrest(self, book: BookSide, rec: Record) -> int:
        """Take ``rec`` off its level (it stays in the level's list, dead, until it reaches the front).

        Returns the level's new total lots; the caller updates the id tables."""
        key = rec.price * book.ksign
        qty = book.qty
        lq = qty[key] - rec.leaves
        rec.leaves = 0
        if lq:
            qty[key] = lq
        else:
            del qty[key], book.levels[key]
            keys = book.keys
            del keys[bisect_left(keys, key)]
        return lq

    def _take(  # noqa: PLR0917 -- positional on purpose: this is the hot loop
        self,
        opp: BookSide,
        limit_key: int,
        qty: int,
        taker_id: str,
        taker_side: Side,
        ts: int,
        fills: list[Fill],
        changes: list[LevelChange],
    ) -> int:
        """Match up to ``qty`` lots against ``opp`` at keys >= ``limit_key``; return the lots filled."""
        keys, levels, qtys, ksign, maker_side = opp.keys, opp.levels, opp.qty, opp.ksign, opp.side
        orders, closed = self._orders, self._closed
        trade_id = self._trade_id
        remaining = qty
        while keys:
            k = keys[-1]
            if k < limit_key:
                break
            price = k * ksign
            level = levels[k]
            lq = qtys[k]
            i = 0
            while True:
                maker = level[i]
                ml = maker.leaves
                if not ml:
                    i += 1
                    continue
                trade_id += 1
                if ml <= remaining:
                    maker.leaves = 0
                    maker.filled += ml
                    maker_id = maker.order_id
                    del orders[maker_id]
                    closed.add(maker_id)
                    remaining -= ml
                    lq -= ml
                    i += 1
                    fills.append(Fill(trade_id, price, ml, taker_side, maker_id, taker_id, 0, ts))
                    if not remaining or not lq:
                        break
                else:
                    ml -= remaining
                    maker.leaves = ml
                    maker.filled += remaining
                    lq -= remaining
                    fills.append(Fill(trade_id, price, remaining, taker_side, maker.order_id, taker_id, ml, ts))
                    remaining = 0
                    break
            if lq:  # the level survives, so the taker is done
                qtys[k] = lq
                if i:
                    del level[:i]
                changes.append(LevelChange(maker_side, price, lq))
                break
            keys.pop()
            del levels[k], qtys[k]
            changes.append(LevelChange(maker_side, price, 0))
            if not remaining:
                break
        self._trade_id = trade_id
        return qty - remaining
