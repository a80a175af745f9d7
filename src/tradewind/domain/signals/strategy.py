"""The strategy interface: closed candles in, a signal or nothing out; and the configured instance it runs as.

A strategy is built once per configured instance by a factory (``StrategyFactory``) from its ``StrategySpec``;
the producer then calls ``on_candle`` with the candles so far (oldest first, the newest just closed) and publishes
what it returns. ``docs/strategies.md`` shows how to write one and install it as a plug-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from tradewind.domain.candles import Candle, check_interval
from tradewind.domain.market import InstrumentRef
from tradewind.domain.signals.signal import Action, Signal, signal_id
from tradewind.domain.values import Category


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """One configured strategy instance: its id (the signals' ``source``), strategy name, market, size, params."""

    id: str
    name: str
    exchange: str
    category: Category
    symbol: str
    interval: int  # minutes
    amount_quote: Decimal
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_interval(self.interval)

    @property
    def ref(self) -> InstrumentRef:
        return InstrumentRef(self.exchange, self.category, self.symbol)

    def signal(
        self,
        action: Action,
        candle: Candle,
        *,
        take_profit_pct: Decimal | None = None,
        stop_loss_pct: Decimal | None = None,
    ) -> Signal:
        """This instance's signal computed on ``candle``; its id depends only on the instance and the candle."""
        return Signal(
            signal_id(self.id, self.ref, self.interval, candle.start_ms), self.id, self.exchange, self.category,
            self.symbol, action, self.amount_quote, take_profit_pct, stop_loss_pct, self.interval, candle.start_ms,
            candle.close, candle.end_ms * 1_000_000,
        )  # fmt: skip


class Strategy(Protocol):
    """Decides on each closed candle; pure: the same candles give the same answer."""

    @property
    def warmup(self) -> int:
        """Candles of history needed before ``on_candle`` can decide (the producer fetches them at start)."""
        ...

    def on_candle(self, history: Sequence[Candle]) -> Signal | None:
        """``history`` is oldest first, ``history[-1]`` the candle just closed; None: nothing to say."""
        ...


StrategyFactory = Callable[[StrategySpec], Strategy]
