"""TradeRepository port: the trade objects of the ``buy``/``sell``/``close`` commands, surviving a restart."""

from __future__ import annotations

from typing import Protocol

from tradewind.domain.trading.trades import Trade


class TradeConflict(RuntimeError):
    """The store refused a trade: its key is taken."""


class TradeRepository(Protocol):
    async def insert(self, trade: Trade) -> Trade:
        """The trade stored, with its id; TradeConflict (nothing stored) if its key is taken."""
        ...

    async def save(self, trade: Trade) -> None:
        """Update the stored trade (by id)."""
        ...

    async def delete(self, trade_id: int) -> None:
        """Remove a pending trade whose entry order the exchange refused."""
        ...

    async def by_key(self, key: str) -> Trade | None: ...

    async def live(self) -> list[Trade]:
        """Trades pending, open or closing, oldest first."""
        ...

    async def recent(self, limit: int = 100) -> list[Trade]:
        """Every trade, newest first."""
        ...
