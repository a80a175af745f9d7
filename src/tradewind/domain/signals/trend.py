"""``trend``: a moving-average cross with a trend filter; stop-loss and take-profit from the Average True Range.

BUY when the fast average crosses above the slow one while the close is above the trend average (an up-trend);
SELL when the fast average crosses below the slow one (whatever the trend: it closes a long). A BUY carries
``stop_loss_pct = sl_atr * ATR / close * 100`` and ``take_profit_pct = tp_atr * ATR / close * 100`` (4 places).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tradewind.domain.candles import Candle
from tradewind.domain.numbers import NumberError, parse_decimal, parse_int
from tradewind.domain.signals.indicators import atr, ema, sma
from tradewind.domain.signals.signal import MAX_TAKE_PROFIT_PCT, Action, Signal
from tradewind.domain.signals.strategy import StrategySpec

_PLACES = Decimal("0.0001")
_MAX_PERIOD = 10_000
_AVERAGES: dict[str, Callable[[Sequence[Decimal], int], Decimal]] = {"sma": sma, "ema": ema}


@dataclass(frozen=True, slots=True)
class TrendParams:
    """The ``params`` of a ``trend`` instance; ``trend: 0`` turns the trend filter off."""

    fast: int = 10
    slow: int = 30
    trend: int = 100
    average: str = "ema"
    atr_period: int = 14
    sl_atr: Decimal = Decimal("1.5")
    tp_atr: Decimal = Decimal("3")

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(f"trend params: fast ({self.fast}) must be at least 1 and below slow ({self.slow})")
        if self.average not in _AVERAGES:
            raise ValueError(f"trend params: average must be one of {', '.join(_AVERAGES)}, got {self.average!r}")
        if self.sl_atr <= 0 or self.tp_atr <= 0:
            raise ValueError("trend params: sl_atr and tp_atr must be positive")

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TrendParams:
        """From config (numbers as text or YAML numbers); ValueError naming an unknown or bad parameter."""
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(
                f"trend params: unknown {', '.join(unknown)}; known: {', '.join(cls.__dataclass_fields__)}"
            )
        values: dict[str, Any] = {}
        try:
            for name in ("fast", "slow", "atr_period"):
                if name in raw:
                    values[name] = parse_int(raw[name], f"trend params {name}", low=1, high=_MAX_PERIOD)
            if "trend" in raw:
                values["trend"] = parse_int(raw["trend"], "trend params trend", low=0, high=_MAX_PERIOD)
            for name in ("sl_atr", "tp_atr"):
                if name in raw:
                    values[name] = parse_decimal(raw[name], f"trend params {name}")
        except NumberError as exc:
            raise ValueError(str(exc)) from None
        if "average" in raw:
            values["average"] = str(raw["average"])
        return cls(**values)


class TrendStrategy:
    """The built-in ``trend`` strategy of one configured instance."""

    def __init__(self, spec: StrategySpec, params: TrendParams | None = None) -> None:
        self.spec = spec
        self.params = params or TrendParams.parse(spec.params)
        self._average = _AVERAGES[self.params.average]

    @classmethod
    def from_spec(cls, spec: StrategySpec) -> TrendStrategy:
        return cls(spec)

    @property
    def warmup(self) -> int:
        p = self.params
        return max(p.slow, p.trend, p.atr_period) + 1  # +1: the averages of the candle before, for the cross

    def on_candle(self, history: Sequence[Candle]) -> Signal | None:
        if len(history) < self.warmup:
            return None
        p = self.params
        closes = [c.close for c in history]
        fast, slow = self._average(closes, p.fast), self._average(closes, p.slow)
        fast_before, slow_before = self._average(closes[:-1], p.fast), self._average(closes[:-1], p.slow)
        candle = history[-1]
        if fast_before <= slow_before and fast > slow:
            if p.trend and candle.close <= self._average(closes, p.trend):
                return None  # a cross against the trend: no entry
            range_ = atr(history, p.atr_period)
            take_profit, stop_loss = _pct(p.tp_atr * range_, candle.close), _pct(p.sl_atr * range_, candle.close)
            if range_ <= 0 or stop_loss >= 100 or take_profit > MAX_TAKE_PROFIT_PCT:
                return None  # no volatility to place the stops by, or so much that they make no sense
            return self.spec.signal(Action.BUY, candle, take_profit_pct=take_profit, stop_loss_pct=stop_loss)
        if fast_before >= slow_before and fast < slow:
            return self.spec.signal(Action.SELL, candle)
        return None


def _pct(distance: Decimal, price: Decimal) -> Decimal:
    """``distance`` as a percentage of ``price``, to 4 places, never 0 (the smallest step instead)."""
    pct = (distance / price * 100).quantize(_PLACES, rounding=ROUND_HALF_UP)
    return max(pct, _PLACES)
