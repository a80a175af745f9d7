"""Moving averages and the Average True Range over candles, in Decimal (no float touches a price)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from tradewind.domain.candles import Candle


def sma(values: Sequence[Decimal], period: int) -> Decimal:
    """Mean of the last ``period`` values."""
    if period < 1 or len(values) < period:
        raise ValueError(f"sma({period}) needs at least {period} values, got {len(values)}")
    return sum(values[-period:], Decimal(0)) / period


def ema(values: Sequence[Decimal], period: int) -> Decimal:
    """Exponential moving average (alpha = 2 / (period + 1)) seeded with the SMA of the first ``period`` values."""
    if period < 1 or len(values) < period:
        raise ValueError(f"ema({period}) needs at least {period} values, got {len(values)}")
    alpha = Decimal(2) / (period + 1)
    average = sum(values[:period], Decimal(0)) / period
    for value in values[period:]:
        average += alpha * (value - average)
    return average


def true_range(candle: Candle, previous_close: Decimal) -> Decimal:
    """The largest of high - low, |high - previous close| and |low - previous close|."""
    return max(candle.high - candle.low, abs(candle.high - previous_close), abs(candle.low - previous_close))


def atr(candles: Sequence[Candle], period: int) -> Decimal:
    """Average True Range: the mean true range of the last ``period`` candles (each needs the close before it)."""
    if period < 1 or len(candles) < period + 1:
        raise ValueError(f"atr({period}) needs at least {period + 1} candles, got {len(candles)}")
    window = candles[-period - 1 :]
    ranges = [true_range(c, before.close) for before, c in itertools.pairwise(window)]
    return sum(ranges, Decimal(0)) / period
