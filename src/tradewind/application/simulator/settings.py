"""Settings of the market simulator: seed, step, markets, fair-value processes and trader population."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.simulation.fair_value import AssetParams, BasisParams
from tradewind.domain.simulation.population import PopulationParams
from tradewind.domain.simulation.swarm import MarketConfig, SwarmConfig
from tradewind.domain.values import Category


class MarketSettings(BaseModel):
    """One simulated market; ``matching_key`` groups markets compared by the spread workflow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category
    symbol: str = Field(pattern=r"^[A-Z0-9]+$")
    matching_key: str | None = None  # default: the symbol, so BTC spot and perp share "BTCUSDT"
    population: PopulationParams | None = None  # default: the simulator-wide population

    @property
    def key(self) -> str:
        return f"{self.category.value}:{self.symbol}"

    @property
    def group(self) -> str:
        return self.matching_key or self.symbol


def _default_markets() -> tuple[MarketSettings, ...]:
    return (
        MarketSettings(category=Category.SPOT, symbol="BTCUSDT"),
        MarketSettings(category=Category.LINEAR, symbol="BTCUSDT"),
    )


def _default_assets() -> dict[str, AssetParams]:
    return {
        "BTC": AssetParams(initial_price=65_000.0),
        "ETH": AssetParams(initial_price=3_200.0, market_correlation=0.8),
    }


class SimulatorSettings(BaseModel):
    """The market simulator: same seed and same simulated clock give the same trade stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    exchange: str = Field(default="sim", pattern=r"^[a-z0-9_-]+$")  # the topic word: md.trade.<exchange>...
    step_interval_ms: int = Field(default=100, gt=0, le=60_000)
    book_depth: int = Field(default=50, ge=1, le=1_000)
    max_lag_ms: int = Field(default=2_000, gt=0)  # further behind than this, the loop skips ahead
    markets: tuple[MarketSettings, ...] = Field(default_factory=_default_markets, min_length=1)
    assets: dict[str, AssetParams] = Field(default_factory=_default_assets)
    population: PopulationParams = Field(default_factory=PopulationParams)
    basis: BasisParams = Field(default_factory=BasisParams)  # of every linear (perpetual) market
    # Spot markets' takers trade at this fraction of the population's rates: on Bybit the perp trades several times
    # the spot's turnover.
    spot_flow_ratio: float = Field(default=0.2, gt=0, le=10)

    @model_validator(mode="after")
    def _check_markets(self) -> SimulatorSettings:
        keys = [m.key for m in self.markets]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"markets listed more than once: {duplicates}")
        return self

    def swarm_config(self, instruments: Iterable[Instrument] | None = None) -> SwarmConfig:
        """The domain configuration, with each market's instrument looked up in ``instruments``."""
        known = {i.key: i for i in (default_instruments() if instruments is None else instruments)}
        markets = []
        for market in self.markets:
            instrument = known.get(market.key)
            if instrument is None:
                raise ValueError(f"no instrument {market.key}; known: {sorted(known)}")
            if instrument.base not in self.assets:
                raise ValueError(f"market {market.key} needs assets.{instrument.base} (fair-value parameters)")
            basis = self.basis if market.category is Category.LINEAR else None
            population = market.population or self.population
            if market.category is Category.SPOT and self.spot_flow_ratio != 1.0:
                population = population.with_flow(self.spot_flow_ratio)
            markets.append(MarketConfig(instrument, population, basis))
        bases = {m.instrument.base for m in markets}
        assets = tuple((name, params) for name, params in self.assets.items() if name in bases)
        return SwarmConfig(self.seed, tuple(markets), assets)
