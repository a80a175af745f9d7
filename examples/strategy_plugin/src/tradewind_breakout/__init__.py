"""``breakout``: BUY when a candle closes above the highest high of the ``lookback`` candles before it, SELL when
it closes below their lowest low. The worked example of docs/strategies.md, installed as a plug-in."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.domain.candles import Candle
from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.signals.signal import Action, Signal
from tradewind.domain.signals.strategy import StrategySpec


class BreakoutStrategy:
    """A strategy factory too: the entry point names the class, and ``BreakoutStrategy(spec)`` builds it."""

    def __init__(self, spec: StrategySpec) -> None:
        unknown = set(spec.params) - {"lookback", "take_profit_pct", "stop_loss_pct"}
        if unknown:
            raise ValueError(f"breakout params: unknown {', '.join(sorted(unknown))}")
        try:  # numbers from config go through the project's one parser: exact, bounded, named when wrong
            self.lookback = parse_int(spec.params.get("lookback", 20), "breakout params lookback", low=1, high=1000)
            self.take_profit_pct = parse_decimal(spec.params.get("take_profit_pct", "2"), "breakout take_profit_pct")
            self.stop_loss_pct = parse_decimal(spec.params.get("stop_loss_pct", "1"), "breakout stop_loss_pct")
        except NumberError as exc:
            raise ValueError(str(exc)) from None
        self.spec = spec

    @property
    def warmup(self) -> int:
        return self.lookback + 1  # the channel, and the candle that breaks out of it

    def on_candle(self, history: Sequence[Candle]) -> Signal | None:
        if len(history) < self.warmup:
            return None
        channel, candle = history[-self.warmup : -1], history[-1]
        if candle.close > max(c.high for c in channel):
            return self.spec.signal(
                Action.BUY, candle, take_profit_pct=self.take_profit_pct, stop_loss_pct=self.stop_loss_pct
            )
        if candle.close < min(c.low for c in channel):
            return self.spec.signal(Action.SELL, candle)
        return None


__all__ = ["BreakoutStrategy"]
