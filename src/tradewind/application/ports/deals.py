"""DealRepository port: the position manager's deals, with "one open position per symbol and source" enforced."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from tradewind.domain.trading.deals import Deal
from tradewind.domain.values import Category


class DealConflict(RuntimeError):
    """The store refused a deal: its client order id is taken, or its symbol and source already hold a position."""


class DealRepository(Protocol):
    """Deals by id; ``insert`` raises DealConflict where the database's unique indexes refuse the row."""

    async def insert(self, deal: Deal, *, updating: Sequence[Deal] = ()) -> Deal:
        """The deal stored, with its id, and ``updating`` saved in the same transaction; DealConflict (and nothing
        stored) if another holds its client id or its open position, or one of ``updating`` is finished."""
        ...

    async def save(self, *deals: Deal) -> None:
        """Update the stored deals (by id) in one transaction: all or none; DealConflict if one is finished (closed
        or filled: a finished deal is never rewritten, so a close recorded twice is refused)."""
        ...

    async def raise_best_price(self, deal_id: int, price: Decimal, seen_ns: int) -> None:
        """Store ``price`` as the deal's best price, seen at ``seen_ns``, if it is higher and the deal unfinished
        (``save`` never writes either, so a copy read before the ratchet moved cannot lower it)."""
        ...

    async def delete(self, deal_id: int) -> None:
        """Remove a pending deal whose order the exchange refused (the rollback of its transaction)."""
        ...

    async def by_client_order_id(self, exchange: str, client_order_id: str) -> Deal | None: ...

    async def open_position(self, exchange: str, category: Category, symbol: str, source: str) -> Deal | None:
        """The BUY holding the position of that symbol and source (pending, open or closing), if any."""
        ...

    async def last_closed_ns(self, exchange: str, category: Category, symbol: str, source: str) -> int | None:
        """When the newest closed position of that symbol and source was closed."""
        ...

    async def open_deals(self) -> list[Deal]:
        """Every BUY that holds a position, oldest first."""
        ...

    async def deals(self, *, source: str | None = None, symbol: str | None = None, limit: int = 500) -> list[Deal]:
        """The newest deals (both actions), newest first."""
        ...
