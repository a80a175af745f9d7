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


# --- Realism metrics of Vyetrenko et al. 2019 ("Get Real") and of the order flow -------------------------------


def kurtosis_by_horizon(log_prices: Sequence[float] | FloatArray, horizons: Sequence[int]) -> tuple[float, ...]:
    """Excess kurtosis of returns over each horizon (in grid steps) of a log-price series on a grid."""
    x = np.asarray(log_prices, dtype=np.float64)
    return tuple(excess_kurtosis(x[h::h] - x[:-h:h]) for h in horizons)


def hill_tail_index(values: Sequence[float] | FloatArray, tail_fraction: float = 0.05) -> float:
    """Hill's estimate of the tail index alpha of ``P(X > x) ~ x^-alpha`` from the largest ``tail_fraction``."""
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if not 0.0 < tail_fraction < 1.0:
        raise ValueError(f"tail_fraction must be in (0, 1), got {tail_fraction}")
    k = int(x.size * tail_fraction)
    if k < 10:
        raise ValueError(f"need at least 10 values in the tail, got {k} of {x.size}")
    if x[k] <= 0.0:
        raise ValueError("the tail's threshold must be positive")
    mean_log_excess = float(np.mean(np.log(x[:k] / x[k])))
    if mean_log_excess == 0.0:
        raise ValueError("the tail is flat: the tail index is undefined")
    return 1.0 / mean_log_excess


def power_law_exponent(lags: Sequence[int] | FloatArray, values: Sequence[float] | FloatArray) -> float:
    """``gamma`` of the least-squares fit ``values ~ c * lag^-gamma`` over the positive values (log-log)."""
    lag = np.asarray(lags, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    keep = v > 0
    if keep.sum() < 3:
        raise ValueError("need at least 3 positive values to fit a power law")
    slope = np.polyfit(np.log(lag[keep]), np.log(v[keep]), 1)[0]
    return float(-slope)


def slower_than_exponential(acf_values: Sequence[float] | FloatArray, count: int) -> bool:
    """True when the ACF near lag 100 beats what an exponential through lags 1-2 and 9-11 leaves there.

    An exponential ``c * exp(-lag / tau)`` has ``rho(100) / rho(10) = (rho(10) / rho(1)) ** 10``; a power law
    keeps far more. Lags are averaged in windows (1-2, 9-11, 91-100) against noise; needs lags 1..100 and
    positive windows, the one near lag 100 above the 95 % noise band of a series of ``count`` values. No decay
    at all from lag 1 to lag 10 counts as slower than any exponential.
    """
    r = np.asarray(acf_values, dtype=np.float64)
    if r.size < 100:
        raise ValueError(f"need lags 1..100, got {r.size}")
    r1, r10, r100 = float(r[0:2].mean()), float(r[8:11].mean()), float(r[90:100].mean())
    if min(r1, r10) <= 0.0 or r100 <= 1.96 / np.sqrt(count):
        return False
    return r100 / r10 > min(1.0, r10 / r1) ** 10


def volume_volatility_correlation(
    volumes: Sequence[float] | FloatArray, returns: Sequence[float] | FloatArray
) -> float:
    """Pearson correlation of the traded volume and the absolute return of the same intervals."""
    v, r = np.asarray(volumes, dtype=np.float64), np.abs(np.asarray(returns, dtype=np.float64))
    if v.size != r.size or v.size < 3:
        raise ValueError(f"need equal-length series of at least 3 intervals, got {v.size} and {r.size}")
    if v.std() == 0.0 or r.std() == 0.0:
        raise ValueError("correlation with a constant series is undefined")
    return float(np.corrcoef(v, r)[0, 1])


def coefficient_of_variation(x: Sequence[float] | FloatArray) -> float:
    """Standard deviation over mean: 1 for exponential (Poisson) waiting times, above 1 when bursty."""
    a = np.asarray(x, dtype=np.float64)
    if a.size < 2 or a.mean() == 0.0:
        raise ValueError("need at least 2 values with a non-zero mean")
    return float(a.std() / a.mean())


@dataclass(frozen=True, slots=True)
class TakerOrder:
    """One taker order as the tape shows it: sign (+1 buy), lots filled, its last fill's price (ticks), time."""

    sign: int
    lots: int
    price: int
    ts: int


@dataclass(frozen=True, slots=True)
class FlowStats:
    """Statistics of the order flow per taker order: sign memory, bid-ask bounce and the size tail."""

    count: int
    sign_acf: tuple[float, ...]  # lags 1..n
    sign_acf_exponent: float  # gamma of sign_acf ~ lag^-gamma
    slower_than_exponential: bool
    price_change_acf1: float  # lag-1 autocorrelation of the price changes between taker orders
    size_tail_index: float  # Hill, largest 5 %


def flow_stats(orders: Sequence[TakerOrder], max_lag: int = 100) -> FlowStats:
    signs = np.array([o.sign for o in orders], dtype=np.float64)
    sign_acf = acf(signs, max_lag)
    changes = np.diff(np.array([o.price for o in orders], dtype=np.float64))
    return FlowStats(
        count=len(orders),
        sign_acf=tuple(float(v) for v in sign_acf),
        sign_acf_exponent=power_law_exponent(np.arange(1, max_lag + 1, dtype=np.float64), sign_acf),
        slower_than_exponential=max_lag >= 100 and slower_than_exponential(sign_acf, len(orders)),
        price_change_acf1=float(acf(changes, 1)[0]),
        size_tail_index=hill_tail_index([o.lots for o in orders]),
    )


@dataclass(frozen=True, slots=True)
class Spread:
    """Mean and standard deviation of one metric over seeds."""

    mean: float
    std: float
    low: float
    high: float


def over_seeds(values: Sequence[float]) -> Spread:
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        raise ValueError("need at least one value")
    return Spread(float(a.mean()), float(a.std()), float(a.min()), float(a.max()))
