"""The latent fair value the swarm trades around: stochastic volatility, jumps, and a perp basis.

Each base asset (BTC, ETH) has a log price driven by a common market shock, with a volatility that
is the product of a fast and a slow log-normal factor (volatility clusters on two time scales) and
Poisson jumps that also kick the fast factor up. A perpetual's fair value is the spot one times
``1 + basis``, the basis a mean-reverting (Ornstein-Uhlenbeck) process of a few basis points.
Floats are fine here: agents round these values to ticks and lots before any order is made.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from tradewind.domain.simulation.seeding import derive_rng

_NS_PER_S = 1_000_000_000
_BP = 1e-4


@dataclass(frozen=True, slots=True)
class AssetParams:
    """Latent price process of one base asset; volatilities are of log returns."""

    initial_price: float
    vol_per_minute: float = 0.0007  # long-run RMS of 1-minute log returns (about 2.7 % a day)
    fast_vol_std: float = 0.35  # stationary std of the fast log-volatility factor
    fast_vol_half_life_s: float = 1_200.0
    slow_vol_std: float = 0.45
    slow_vol_half_life_s: float = 6 * 3_600.0
    jumps_per_day: float = 8.0
    jump_scale: float = 0.0015  # mean absolute jump (Laplace distributed), as a log return
    jump_vol_kick: float = 0.6  # added to the fast log-vol factor after a jump: turbulence follows
    market_correlation: float = 1.0  # correlation of the diffusion with the common crypto shock
    impact_per_million: float = 0.0002  # permanent log impact of 1 000 000 quote of net taker buying

    def __post_init__(self) -> None:
        if not self.initial_price > 0:
            raise ValueError(f"initial_price must be positive, got {self.initial_price}")
        if self.vol_per_minute < 0 or self.fast_vol_std < 0 or self.slow_vol_std < 0:
            raise ValueError("volatility parameters must not be negative")
        if self.fast_vol_half_life_s <= 0 or self.slow_vol_half_life_s <= 0:
            raise ValueError("volatility half-lives must be positive")
        if self.jumps_per_day < 0 or self.jump_scale < 0:
            raise ValueError("jump parameters must not be negative")
        if not -1.0 <= self.market_correlation <= 1.0:
            raise ValueError(f"market_correlation must be in [-1, 1], got {self.market_correlation}")


@dataclass(frozen=True, slots=True)
class BasisParams:
    """Perp-over-spot basis in basis points: an OU process with this mean, spread and half-life."""

    mean_bp: float = 1.0
    std_bp: float = 4.0
    half_life_s: float = 1_200.0
    # An injected mispricing (off by default): ``shock_bp`` is added to the basis for the first ``shock_duty`` of
    # every ``shock_period_s`` (counted from the start), so the perp is dislocated from spot and then converges.
    shock_bp: float = 0.0
    shock_period_s: float = 600.0
    shock_duty: float = 0.5

    def __post_init__(self) -> None:
        if self.std_bp < 0 or self.half_life_s <= 0:
            raise ValueError("basis std_bp must not be negative and half_life_s must be positive")
        if self.shock_period_s <= 0 or not 0.0 < self.shock_duty < 1.0:
            raise ValueError("basis shock_period_s must be positive and shock_duty within (0, 1)")

    def shock_at(self, elapsed_s: float) -> float:
        """The injected offset in bp, ``elapsed_s`` after the start."""
        if not self.shock_bp:
            return 0.0
        phase = (elapsed_s % self.shock_period_s) / self.shock_period_s
        return self.shock_bp if phase < self.shock_duty else 0.0


def _ou_step(value: float, dt_s: float, shock: float, *, mean: float, std: float, half_life_s: float) -> float:
    # Exact discretisation, so the statistics do not depend on the step interval.
    decay = math.exp(-math.log(2.0) * dt_s / half_life_s)
    return mean + (value - mean) * decay + std * math.sqrt(1.0 - decay * decay) * shock


class AssetProcess:
    """One asset's log price with two-factor stochastic volatility and jumps."""

    def __init__(self, params: AssetParams, rng: random.Random) -> None:
        self.params = params
        self._rng = rng
        self.log_price = math.log(params.initial_price)
        self.fast = 0.0
        self.slow = rng.gauss(0.0, params.slow_vol_std)  # start anywhere in the slow regime
        self._vol_norm = params.fast_vol_std**2 + params.slow_vol_std**2

    @property
    def price(self) -> float:
        return math.exp(self.log_price)

    @property
    def vol_per_minute(self) -> float:
        """Current instantaneous volatility, scaled to one minute."""
        return self.params.vol_per_minute * math.exp(self.fast + self.slow - self._vol_norm)

    def step(self, dt_s: float, market_shock: float) -> None:
        p, rng = self.params, self._rng
        sigma = self.vol_per_minute * math.sqrt(dt_s / 60.0)
        rho = p.market_correlation
        shock = rho * market_shock + math.sqrt(1.0 - rho * rho) * rng.gauss(0.0, 1.0)
        self.log_price += sigma * shock
        if p.jumps_per_day > 0 and rng.random() < p.jumps_per_day * dt_s / 86_400.0:
            size = rng.expovariate(1.0 / p.jump_scale) if p.jump_scale > 0 else 0.0
            self.log_price += size if rng.random() < 0.5 else -size
            self.fast += p.jump_vol_kick
        self.fast = _ou_step(
            self.fast, dt_s, rng.gauss(0.0, 1.0), mean=0.0, std=p.fast_vol_std, half_life_s=p.fast_vol_half_life_s
        )
        self.slow = _ou_step(
            self.slow, dt_s, rng.gauss(0.0, 1.0), mean=0.0, std=p.slow_vol_std, half_life_s=p.slow_vol_half_life_s
        )

    def apply_impact(self, signed_quote_notional: float) -> None:
        """Net taker buying (positive) pushes the fair value up for good: the market learns from flow."""
        self.log_price += self.params.impact_per_million * signed_quote_notional / 1_000_000.0


class BasisProcess:
    """Perp basis in basis points around its mean."""

    def __init__(self, params: BasisParams, rng: random.Random) -> None:
        self.params = params
        self._rng = rng
        self.basis_bp = rng.gauss(params.mean_bp, params.std_bp)

    def step(self, dt_s: float) -> None:
        p = self.params
        self.basis_bp = _ou_step(
            self.basis_bp, dt_s, self._rng.gauss(0.0, 1.0), mean=p.mean_bp, std=p.std_bp, half_life_s=p.half_life_s
        )


class FairValueModel:
    """Fair values of every simulated market, advanced together on the simulated clock.

    ``markets`` maps a market key to its base asset and an optional basis (perpetuals).
    """

    def __init__(
        self,
        assets: Mapping[str, AssetParams],
        markets: Mapping[str, tuple[str, BasisParams | None]],
        seed: int,
        start_ns: int,
    ) -> None:
        for key, (asset, _) in markets.items():
            if asset not in assets:
                raise ValueError(f"market {key!r} needs asset {asset!r}, which has no AssetParams")
        # One generator per process: adding ETH does not change BTC's path.
        self._rng = derive_rng(seed, "fair-value", "market-shock")
        self.assets = {
            name: AssetProcess(params, derive_rng(seed, "fair-value", name))
            for name, params in assets.items()
            if any(a == name for a, _ in markets.values())
        }
        self._markets = {
            key: (self.assets[asset], None if basis is None else BasisProcess(basis, derive_rng(seed, "basis", key)))
            for key, (asset, basis) in markets.items()
        }
        self.now_ns = start_ns
        self._start_ns = start_ns

    def advance(self, now_ns: int) -> None:
        """Move every process to ``now_ns``; going back in time is an error."""
        if now_ns < self.now_ns:
            raise ValueError(f"fair value cannot go back in time: {now_ns} < {self.now_ns}")
        dt_s = (now_ns - self.now_ns) / _NS_PER_S
        self.now_ns = now_ns
        if dt_s == 0.0:
            return
        market_shock = self._rng.gauss(0.0, 1.0)
        for asset in self.assets.values():
            asset.step(dt_s, market_shock)
        for _, basis in self._markets.values():
            if basis is not None:
                basis.step(dt_s)

    def price(self, market_key: str) -> float:
        """Fair price of a market in quote units."""
        asset, basis = self._markets[market_key]
        if basis is None:
            return asset.price
        return asset.price * (1.0 + self.basis_bp(market_key) * _BP)

    def basis_bp(self, market_key: str) -> float:
        """The basis now, with any injected shock."""
        basis = self._markets[market_key][1]
        if basis is None:
            return 0.0
        return basis.basis_bp + basis.params.shock_at((self.now_ns - self._start_ns) / _NS_PER_S)

    def asset_of(self, market_key: str) -> AssetProcess:
        return self._markets[market_key][0]
