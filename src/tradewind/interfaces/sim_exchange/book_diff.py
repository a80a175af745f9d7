"""Exact diffs between two views of a book side, shared by Bybit's order-book streams and Binance's depth streams."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Level = tuple[int, int]  # (price in ticks, quantity in lots)


def top_diff(old: Sequence[Level], new: Sequence[Level], *, descending: bool) -> list[Level]:
    """The level changes that turn view ``old`` into view ``new``, in book order; quantity 0 = the level left."""
    if old == new:
        return []
    old_qty = dict(old)
    new_qty = dict(new)
    changes = [(price, 0) for price in old_qty if price not in new_qty]
    changes.extend((price, qty) for price, qty in new if old_qty.get(price) != qty)
    changes.sort(reverse=descending)
    return changes


def apply_diff(view: dict[int, int], changes: Iterable[Level]) -> None:
    """Apply a delta to a client-side view, as both venues' docs tell clients to (0 deletes, else insert or replace)."""
    for price, qty in changes:
        if qty:
            view[price] = qty
        else:
            del view[price]  # a KeyError here is the bug pybit would hit
