"""Risk strategies of a trade: each looks at the trade and the last price and says whether to close it, and why.

A strategy is stateless; what it follows (the best price since entry) is kept on the ``Trade``, so a restart resumes
it from the database. The built-ins: ``trailing_stop`` (closes when the price retreats by PCT from the best price),
``stop_loss`` and ``take_profit`` (PCT from the entry). Levels are on the instrument's tick grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tradewind.domain.instruments import Instrument
from tradewind.domain.trading.deals import level_away
from tradewind.domain.trading.trades import Trade
from tradewind.domain.values import Side

_HUNDRED = Decimal(100)
TRAILING_STOP = "trailing_stop"
STOP_LOSS = "stop_loss"
TAKE_PROFIT = "take_profit"


@runtime_checkable
class RiskStrategy(Protocol):
    """``level`` is the price the strategy closes at (None: none yet); ``exit`` the reason to close at ``price``."""

    @property
    def name(self) -> str: ...

    def level(self, trade: Trade, instrument: Instrument) -> Decimal | None: ...

    def exit(self, trade: Trade, price: Decimal, instrument: Instrument) -> str | None: ...


RiskFactory = Callable[[Decimal], RiskStrategy]
"""What the registry holds per name (and a ``tradewind.risk`` entry point names): parameter -> strategy."""


def _crossed(trade: Trade, price: Decimal, level: Decimal, *, against: bool) -> bool:
    """Whether ``price`` reached ``level``: below it for a long's stop, above it for a long's target."""
    if (trade.side is Side.BUY) == against:
        return price <= level
    return price >= level


def _exit(strategy: RiskStrategy, trade: Trade, price: Decimal, instrument: Instrument, *, against: bool) -> str | None:
    """The strategy's name if ``price`` reached its level (a stop: ``against`` the trade; a target: with it)."""
    level = strategy.level(trade, instrument)
    return strategy.name if level is not None and _crossed(trade, price, level, against=against) else None


def _checked(pct: Decimal, name: str, *, below_hundred: bool) -> Decimal:
    if not pct > 0 or (below_hundred and pct >= _HUNDRED):
        raise ValueError(f"{name} must be above 0{' and below 100' if below_hundred else ''}, got {pct}")
    return pct


@dataclass(frozen=True, slots=True)
class TrailingStop:
    """Follows the best price since entry and closes when the price retreats from it by ``pct``."""

    pct: Decimal
    name: str = TRAILING_STOP

    def __post_init__(self) -> None:
        _checked(self.pct, self.name, below_hundred=True)

    def level(self, trade: Trade, instrument: Instrument) -> Decimal | None:
        best = trade.best_price or trade.entry_price
        return None if best is None else level_away(best, self.pct, trade.side, against=True, instrument=instrument)

    def exit(self, trade: Trade, price: Decimal, instrument: Instrument) -> str | None:
        return _exit(self, trade, price, instrument, against=True)


@dataclass(frozen=True, slots=True)
class StopLoss:
    """Closes when the price moves ``pct`` against the trade from its entry."""

    pct: Decimal
    name: str = STOP_LOSS

    def __post_init__(self) -> None:
        _checked(self.pct, self.name, below_hundred=True)

    def level(self, trade: Trade, instrument: Instrument) -> Decimal | None:
        entry = trade.entry_price
        return None if entry is None else level_away(entry, self.pct, trade.side, against=True, instrument=instrument)

    def exit(self, trade: Trade, price: Decimal, instrument: Instrument) -> str | None:
        return _exit(self, trade, price, instrument, against=True)


@dataclass(frozen=True, slots=True)
class TakeProfit:
    """Closes when the price moves ``pct`` in the trade's favour from its entry."""

    pct: Decimal
    name: str = TAKE_PROFIT

    def __post_init__(self) -> None:
        _checked(self.pct, self.name, below_hundred=False)

    def level(self, trade: Trade, instrument: Instrument) -> Decimal | None:
        entry = trade.entry_price
        return None if entry is None else level_away(entry, self.pct, trade.side, against=False, instrument=instrument)

    def exit(self, trade: Trade, price: Decimal, instrument: Instrument) -> str | None:
        return _exit(self, trade, price, instrument, against=False)


BUILT_IN: dict[str, RiskFactory] = {TRAILING_STOP: TrailingStop, STOP_LOSS: StopLoss, TAKE_PROFIT: TakeProfit}


def first_exit(strategies: list[RiskStrategy], trade: Trade, price: Decimal, instrument: Instrument) -> str | None:
    """The reason of the first strategy that closes ``trade`` at ``price`` (in the order given), or None."""
    return next((r for r in (s.exit(trade, price, instrument) for s in strategies) if r is not None), None)
