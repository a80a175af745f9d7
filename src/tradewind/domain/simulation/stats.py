"""Statistics for the stylised facts of returns: fat tails, volatility clustering, no linear memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def sample_on_grid(times_ns: Sequence[int], values: Sequence[float], interval_ns: int) -> FloatArray:
    """The last value at or before each grid time ``t0, t0 + interval, ...`` (``t0`` = first time)."""
    if interval_ns <= 0:
        raise ValueError(f"interval_ns must be positive, got {interval_ns}")
    if len(times_ns) != len(values):
        raise ValueError(f"times ({len(times_ns)}) and values ({len(values)}) differ in length")
    if not times_ns:
        return np.empty(0)
    t = np.asarray(times_ns, dtype=np.int64)
    grid = np.arange(t[0], t[-1] + 1, interval_ns, dtype=np.int64)
    idx = np.searchsorted(t, grid, side="right") - 1
    return np.asarray(values, dtype=np.float64)[idx]


def log_returns(prices: Sequence[float] | FloatArray) -> FloatArray:
    p = np.asarray(prices, dtype=np.float64)
    if p.size and not np.all(p > 0):
        raise ValueError("prices must be positive to take log returns")
    return np.diff(np.log(p))


def excess_kurtosis(x: Sequence[float] | FloatArray) -> float:
    """Fourth standardised moment minus 3 (0 for a normal distribution)."""
    a = np.asarray(x, dtype=np.float64)
    if a.size < 4:
        raise ValueError(f"need at least 4 observations, got {a.size}")
    d = a - a.mean()
    var = float(np.mean(d * d))
    if var == 0.0:
        raise ValueError("kurtosis of a constant series is undefined")
    return float(np.mean(d**4) / var**2 - 3.0)


def acf(x: Sequence[float] | FloatArray, max_lag: int) -> FloatArray:
    """Sample autocorrelation at lags 1..max_lag (the usual biased estimator, as in statsmodels)."""
    a = np.asarray(x, dtype=np.float64)
    if not 1 <= max_lag < a.size:
        raise ValueError(f"max_lag must be in [1, {a.size - 1}], got {max_lag}")
    d = a - a.mean()
    denom = float(np.dot(d, d))
    if denom == 0.0:
        raise ValueError("autocorrelation of a constant series is undefined")
    return np.array([np.dot(d[:-lag], d[lag:]) / denom for lag in range(1, max_lag + 1)])


@dataclass(frozen=True, slots=True)
class ReturnStats:
    """Summary of a return series; ``acf_*`` hold lags 1..n."""

    count: int
    std: float
    excess_kurtosis: float
    acf_returns: tuple[float, ...]
    acf_abs_returns: tuple[float, ...]

    @property
    def acf_band(self) -> float:
        """Approximate 95 % band of a sample ACF of white noise of this length."""
        return float(1.96 / np.sqrt(self.count))


def return_stats(returns: Sequence[float] | FloatArray, max_lag: int = 10) -> ReturnStats:
    r = np.asarray(returns, dtype=np.float64)
    return ReturnStats(
        count=int(r.size),
        std=float(r.std()),
        excess_kurtosis=excess_kurtosis(r),
        acf_returns=tuple(float(v) for v in acf(r, max_lag)),
        acf_abs_returns=tuple(float(v) for v in acf(np.abs(r), max_lag)),
    )
