"""FakeDeals: the DealRepository port in memory, refusing what the database's unique indexes refuse."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from tradewind.application.ports.deals import DealConflict, DealRepository
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading.deals import HOLDING, Deal, DealStatus
from tradewind.domain.values import Category


class FakeDeals:
    """Deals by id; DealConflict for a taken client id, a second open position, or a finished deal rewritten."""

    def __init__(self) -> None:
        self.rows: dict[int, Deal] = {}
        self._ids = itertools.count(1)

    def _conflict(self, deal: Deal, ignore: int | None = None) -> bool:
        for other in self.rows.values():
            if other.id == ignore:
                continue
            if (other.exchange, other.client_order_id) == (deal.exchange, deal.client_order_id):
                return True
            same = (other.exchange, other.category, other.symbol, other.source) == (
                deal.exchange, deal.category, deal.symbol, deal.source,
            )  # fmt: skip
            if same and other.is_open and deal.is_open:
                return True
        return False

    def _finished(self, deal: Deal) -> bool:
        stored = self.rows.get(deal.id or 0)
        return stored is None or stored.status not in HOLDING

    async def insert(self, deal: Deal, *, updating: Sequence[Deal] = ()) -> Deal:
        before = dict(self.rows)
        if any(self._finished(u) for u in updating):
            raise DealConflict(f"deal {deal.client_order_id} refused")
        for other in updating:  # updated first, as the database's transaction does (never its best price)
            self.rows[other.id or 0] = self._ratchet_kept(other)
        if self._conflict(deal):
            self.rows = before  # all or nothing
            raise DealConflict(f"deal {deal.client_order_id} refused")
        stored = replace(deal, id=next(self._ids))
        self.rows[stored.id or 0] = stored
        return stored

    async def save(self, *deals: Deal) -> None:
        for deal in deals:
            if deal.id is None or self._finished(deal) or self._conflict(deal, ignore=deal.id):
                raise DealConflict(f"deal {deal.id} refused")
        for deal in deals:  # the best price is raise_best_price's alone, as in the database
            self.rows[deal.id or 0] = self._ratchet_kept(deal)

    def _ratchet_kept(self, deal: Deal) -> Deal:
        stored = self.rows[deal.id or 0]
        return replace(deal, best_price=stored.best_price, best_ns=stored.best_ns)

    async def raise_best_price(self, deal_id: int, price: Decimal, seen_ns: int) -> None:
        stored = self.rows.get(deal_id)
        if stored is not None and stored.status in HOLDING and (stored.best_price is None or stored.best_price < price):
            self.rows[deal_id] = replace(stored, best_price=price, best_ns=seen_ns)

    async def delete(self, deal_id: int) -> None:
        self.rows.pop(deal_id, None)

    async def by_client_order_id(self, exchange: str, client_order_id: str) -> Deal | None:
        return next(
            (d for d in self.rows.values() if (d.exchange, d.client_order_id) == (exchange, client_order_id)), None
        )

    async def open_position(self, exchange: str, category: Category, symbol: str, source: str) -> Deal | None:
        return next(
            (
                d for d in self.rows.values()
                if d.is_open and (d.exchange, d.category, d.symbol, d.source) == (exchange, category, symbol, source)
            ),
            None,
        )  # fmt: skip

    async def last_closed_ns(self, exchange: str, category: Category, symbol: str, source: str) -> int | None:
        closes = [
            d.closed_ns
            for d in self.rows.values()
            if d.action is Action.BUY and d.status is DealStatus.CLOSED and d.closed_ns is not None
            and (d.exchange, d.category, d.symbol, d.source) == (exchange, category, symbol, source)
        ]  # fmt: skip
        return max(closes, default=None)

    async def open_deals(self) -> list[Deal]:
        return [d for d in self.rows.values() if d.is_open]

    async def deals(self, *, source: str | None = None, symbol: str | None = None, limit: int = 500) -> list[Deal]:
        found = [d for d in self.rows.values() if source in (None, d.source) and symbol in (None, d.symbol)]
        return sorted(found, key=lambda d: -(d.id or 0))[:limit]


_conforms: DealRepository = FakeDeals()
