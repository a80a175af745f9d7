"""A risk strategy plugin: once the price has moved PCT in the trade's favour, close if it comes back to the entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradewind.domain.instruments import Instrument
from tradewind.domain.trading.trades import Trade
from tradewind.domain.values import Side

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Breakeven:
    """The ``tradewind.risk`` entry point ``breakeven``: a stop at the entry price, armed by a PCT gain."""

    pct: Decimal
    name: str = "breakeven"

    def __post_init__(self) -> None:
        if not self.pct > 0:
            raise ValueError(f"breakeven must be above 0, got {self.pct}")

    def _armed(self, trade: Trade) -> bool:
        entry, best = trade.entry_price, trade.best_price
        if entry is None or best is None:
            return False
        gain = (best - entry) if trade.side is Side.BUY else (entry - best)
        return gain * _HUNDRED >= entry * self.pct

    def level(self, trade: Trade, instrument: Instrument) -> Decimal | None:
        return trade.entry_price if self._armed(trade) else None

    def exit(self, trade: Trade, price: Decimal, instrument: Instrument) -> str | None:
        level = self.level(trade, instrument)
        if level is None:
            return None
        back = price <= level if trade.side is Side.BUY else price >= level
        return self.name if back else None
