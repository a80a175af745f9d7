"""Who trades in a simulated market: how many of each trader type, and their (jittered) parameters."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from tradewind.domain.instruments import Instrument
from tradewind.domain.simulation.market_maker import MarketMaker, MarketMakerParams
from tradewind.domain.simulation.seeding import derive_rng
from tradewind.domain.simulation.traders import (
    MeanReversionParams,
    MeanReversionTrader,
    MetaOrderParams,
    MetaOrderTrader,
    MomentumParams,
    MomentumTrader,
    NoiseParams,
    NoiseTrader,
)
from tradewind.domain.simulation.view import LotSizer, Trader


@dataclass(frozen=True, slots=True)
class PopulationParams:
    """Counts per trader type and their base parameters; ``jitter`` varies each trader by +-jitter."""

    market_makers: int = 4
    noise_traders: int = 6
    momentum_traders: int = 2
    mean_reversion_traders: int = 2
    meta_traders: int = 4
    market_maker: MarketMakerParams = field(default_factory=MarketMakerParams)
    noise: NoiseParams = field(default_factory=NoiseParams)
    momentum: MomentumParams = field(default_factory=MomentumParams)
    mean_reversion: MeanReversionParams = field(default_factory=MeanReversionParams)
    meta: MetaOrderParams = field(default_factory=MetaOrderParams)
    jitter: float = 0.3

    def __post_init__(self) -> None:
        counts = (
            self.market_makers,
            self.noise_traders,
            self.momentum_traders,
            self.mean_reversion_traders,
            self.meta_traders,
        )
        if min(counts) < 0:
            raise ValueError(f"trader counts must not be negative, got {counts}")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")

    def with_flow(self, factor: float) -> PopulationParams:
        """The same population with every taker's turnover times ``factor`` (spot trades a fraction of the perp).

        Every rate is scaled, a meta-order's children too: the flow is the perp's slowed down, so a parent spans as
        many taker orders and the signs keep the same memory per order. Momentum and mean-reversion traders trade
        toward a position set by the signal: their position limit is scaled with their rate.
        """
        if not factor > 0:
            raise ValueError(f"the flow factor must be positive, got {factor}")
        n, m, mom, mr = self.noise, self.meta, self.momentum, self.mean_reversion
        return replace(
            self,
            noise=replace(
                n,
                market_orders_per_minute=n.market_orders_per_minute * factor,
                limit_orders_per_minute=n.limit_orders_per_minute * factor,
            ),
            meta=replace(
                m, parents_per_hour=m.parents_per_hour * factor, children_per_minute=m.children_per_minute * factor
            ),
            momentum=replace(
                mom,
                trades_per_minute=mom.trades_per_minute * factor,
                max_position_notional=mom.max_position_notional * factor,
            ),
            mean_reversion=replace(
                mr,
                trades_per_minute=mr.trades_per_minute * factor,
                max_position_notional=mr.max_position_notional * factor,
            ),
        )


def _scale(rng: random.Random, jitter: float) -> float:
    return 1.0 + jitter * (2.0 * rng.random() - 1.0)


def _maker_params(base: MarketMakerParams, rng: random.Random, jitter: float) -> MarketMakerParams:
    return replace(
        base,
        half_spread_ticks=max(0.5, base.half_spread_ticks * _scale(rng, jitter)),
        level_spacing_ticks=max(1, round(base.level_spacing_ticks * _scale(rng, jitter))),
        level_notional=base.level_notional * _scale(rng, jitter),
        max_inventory_notional=base.max_inventory_notional * _scale(rng, jitter),
    )


def _noise_params(base: NoiseParams, rng: random.Random, jitter: float) -> NoiseParams:
    return replace(
        base,
        market_orders_per_minute=base.market_orders_per_minute * _scale(rng, jitter),
        limit_orders_per_minute=base.limit_orders_per_minute * _scale(rng, jitter),
        median_notional=base.median_notional * _scale(rng, jitter),
    )


def _momentum_params(base: MomentumParams, rng: random.Random, jitter: float) -> MomentumParams:
    fast = base.fast_s * _scale(rng, jitter)
    return replace(
        base,
        fast_s=fast,
        slow_s=max(fast * 2.0, base.slow_s * _scale(rng, jitter)),
        trade_notional=base.trade_notional * _scale(rng, jitter),
    )


def _reversion_params(base: MeanReversionParams, rng: random.Random, jitter: float) -> MeanReversionParams:
    return replace(
        base, window_s=base.window_s * _scale(rng, jitter), trade_notional=base.trade_notional * _scale(rng, jitter)
    )


def _meta_params(base: MetaOrderParams, rng: random.Random, jitter: float) -> MetaOrderParams:
    return replace(
        base,
        parents_per_hour=base.parents_per_hour * _scale(rng, jitter),
        children_per_minute=base.children_per_minute * _scale(rng, jitter),
        child_notional=base.child_notional * _scale(rng, jitter),
    )


def build_traders(seed: int, market_key: str, instrument: Instrument, population: PopulationParams) -> list[Trader]:
    """The traders of one market, each with its own seeded generator; names are unique in the market."""
    sizer = LotSizer(instrument)
    jitter = population.jitter
    traders: list[Trader] = []

    def rngs(name: str) -> tuple[random.Random, random.Random]:
        return derive_rng(seed, market_key, name, "params"), derive_rng(seed, market_key, name)

    for i in range(1, population.market_makers + 1):
        params_rng, rng = rngs(f"sw-mm{i}")
        traders.append(MarketMaker(f"sw-mm{i}", _maker_params(population.market_maker, params_rng, jitter), sizer, rng))
    for i in range(1, population.noise_traders + 1):
        params_rng, rng = rngs(f"sw-noise{i}")
        traders.append(NoiseTrader(f"sw-noise{i}", _noise_params(population.noise, params_rng, jitter), sizer, rng))
    for i in range(1, population.momentum_traders + 1):
        params_rng, rng = rngs(f"sw-mom{i}")
        traders.append(
            MomentumTrader(f"sw-mom{i}", _momentum_params(population.momentum, params_rng, jitter), sizer, rng)
        )
    for i in range(1, population.mean_reversion_traders + 1):
        params_rng, rng = rngs(f"sw-mr{i}")
        traders.append(
            MeanReversionTrader(
                f"sw-mr{i}", _reversion_params(population.mean_reversion, params_rng, jitter), sizer, rng
            )
        )
    # Appended last, so that adding them leaves every other trader's name and seed as they were.
    for i in range(1, population.meta_traders + 1):
        params_rng, rng = rngs(f"sw-meta{i}")
        traders.append(MetaOrderTrader(f"sw-meta{i}", _meta_params(population.meta, params_rng, jitter), sizer, rng))
    return traders
