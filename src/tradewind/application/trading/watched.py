"""The positions the trader protects itself, in memory: each open BUY as last committed, with any unfinished close.

A trade tick decides and sends its close from here (its levels, and its trailing stop from the best price kept
here), with no database read before the order. The trader changes an entry only after the commit that made the
change, and under the position's lock, so the map never runs ahead of the deals table (the best price alone leads:
it is written behind the ticks and only ever raised); it is loaded from the table at start (one trader replica
writes the deals, see docs/trading.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.trading.deals import Deal
from tradewind.domain.values import Category

Market = tuple[str, Category, str]  # exchange, category, symbol


@dataclass(frozen=True, slots=True)
class WatchedPosition:
    """A watched BUY (``open`` or ``closing``) and the pending SELL of a close begun but not finished, if any."""

    deal: Deal
    unfinished: Deal | None = None


def market_of(deal: Deal) -> Market:
    return deal.exchange, deal.category, deal.symbol


class WatchedPositions:
    """Watched positions by market and deal id."""

    def __init__(self) -> None:
        self._by_market: dict[Market, dict[int, WatchedPosition]] = {}
        # The trailing stop's best price by deal id: the one thing that runs ahead of the table (written behind it,
        # only ever raised), kept apart so that a committed copy of the deal never lowers it.
        self._best: dict[int, Decimal] = {}

    def watch(self, deal: Deal) -> None:
        """Start watching ``deal`` (committed open) with no close begun."""
        if deal.id is None:
            raise ValueError(f"deal {deal.client_order_id} has no id: only a stored deal is watched")
        self._by_market.setdefault(market_of(deal), {})[deal.id] = WatchedPosition(deal)
        start = deal.best_price or deal.price
        if start is not None and (deal.id not in self._best or self._best[deal.id] < start):
            self._best[deal.id] = start

    def committed(self, deal: Deal, unfinished: Deal | None = None) -> None:
        """A change of a watched deal (and its unfinished close) that was just committed; unwatched deals are left
        alone."""
        positions = self._by_market.get(market_of(deal), {})
        if deal.id in positions:
            positions[deal.id] = WatchedPosition(deal, unfinished)

    def drop(self, deal: Deal) -> None:
        if deal.id is not None:
            self._by_market.get(market_of(deal), {}).pop(deal.id, None)
            self._best.pop(deal.id, None)

    def best(self, deal: Deal) -> Decimal | None:
        """The highest price seen since the entry of a watched deal (its trailing stop follows it)."""
        return None if deal.id is None else self._best.get(deal.id)

    def raise_best(self, deal: Deal, price: Decimal) -> bool:
        """Move a watched deal's best price up to ``price``; whether it moved."""
        best = self.best(deal)
        if deal.id is None or best is None or price <= best or self.get(deal) is None:
            return False
        self._best[deal.id] = price
        return True

    def get(self, deal: Deal) -> WatchedPosition | None:
        return None if deal.id is None else self._by_market.get(market_of(deal), {}).get(deal.id)

    def in_market(self, market: Market) -> list[WatchedPosition]:
        return list(self._by_market.get(market, {}).values())

    def all(self) -> list[WatchedPosition]:
        return [p for positions in self._by_market.values() for p in positions.values()]

    def clear(self) -> None:
        self._by_market.clear()
        self._best.clear()
