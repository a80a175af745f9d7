"""An in-memory TradeRepository for unit tests of the trade desk."""

from __future__ import annotations

from dataclasses import replace

from tradewind.application.ports.trades import TradeConflict
from tradewind.domain.trading.trades import Trade


class FakeTrades:
    """Trades by id; a taken key is a TradeConflict, as the ``trades`` table's unique index answers."""

    def __init__(self) -> None:
        self.rows: dict[int, Trade] = {}
        self.saves = 0

    async def insert(self, trade: Trade) -> Trade:
        if any(t.key == trade.key for t in self.rows.values()):
            raise TradeConflict(f"trade {trade.key!r} is stored already")
        stored = replace(trade, id=max(self.rows, default=0) + 1)
        self.rows[stored.id or 0] = stored
        return stored

    async def save(self, trade: Trade) -> None:
        assert trade.id in self.rows
        self.rows[trade.id] = trade
        self.saves += 1

    async def delete(self, trade_id: int) -> None:
        self.rows.pop(trade_id, None)

    async def by_key(self, key: str) -> Trade | None:
        return next((t for t in self.rows.values() if t.key == key), None)

    async def live(self) -> list[Trade]:
        return [t for _, t in sorted(self.rows.items()) if t.is_live]

    async def recent(self, limit: int = 100) -> list[Trade]:
        return [t for _, t in sorted(self.rows.items(), reverse=True)][:limit]
