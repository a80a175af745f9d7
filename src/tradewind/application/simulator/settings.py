"""Settings of the market simulator: seed, step, markets, fair-value processes and trader population."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.simulation.fair_value import AssetParams, BasisParams
from tradewind.domain.simulation.population import PopulationParams
from tradewind.domain.simulation.scenarios import Scenario, apply_scenario
from tradewind.domain.values import Category

if TYPE_CHECKING:
    from tradewind.domain.simulation.swarm import SwarmConfig


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


class InstrumentSettings(BaseModel):
    """One tradable product in YAML: adding a symbol (e.g. SOLUSDT spot and perpetual) is config, not code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category
    symbol: str = Field(pattern=r"^[A-Z0-9]+$")
    base: str = Field(pattern=r"^[A-Z0-9]+$")
    quote: str = Field(default="USDT", pattern=r"^[A-Z0-9]+$")
    tick_size: Decimal = Field(gt=0, allow_inf_nan=False)
    qty_step: Decimal = Field(gt=0, allow_inf_nan=False)
    min_qty: Decimal = Field(ge=0, allow_inf_nan=False)
    max_qty: Decimal = Field(gt=0, allow_inf_nan=False)
    min_notional: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)

    @property
    def key(self) -> str:
        return f"{self.category.value}:{self.symbol}"

    @model_validator(mode="after")
    def _check_grid(self) -> InstrumentSettings:
        self.instrument()  # the domain's own checks (min <= max), as a one-line error naming the symbol
        return self

    def instrument(self) -> Instrument:
        return Instrument(
            self.symbol, self.category, self.base, self.quote, self.tick_size, self.qty_step,
            self.min_qty, self.max_qty, self.min_notional,
        )  # fmt: skip


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


def _merged_assets(given: object) -> object:
    """A YAML ``assets:`` block merges with the defaults: a new asset is added, a known one changes only its keys."""
    if not isinstance(given, dict):
        return given
    merged: dict[str, Any] = {name: asdict(params) for name, params in _default_assets().items()}
    for name, params in given.items():
        if isinstance(params, dict) and name in merged:
            merged[name] = {**merged[name], **params}
        else:
            merged[name] = params
    return merged


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
    # Added to (or replacing by category and symbol) the defaults of domain/instruments.py.
    instruments: tuple[InstrumentSettings, ...] = ()
    scenario: Scenario | None = None  # a named market condition on every market (docs/simulator.md, "Scenarios")
    # Spot markets' takers trade at this fraction of the population's rates: on Bybit the perp trades several times
    # the spot's turnover.
    spot_flow_ratio: float = Field(default=0.2, gt=0, le=10)

    _merge_assets = field_validator("assets", mode="before")(_merged_assets)

    @model_validator(mode="after")
    def _check_markets(self) -> SimulatorSettings:
        keys = [m.key for m in self.markets]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"markets listed more than once: {duplicates}")
        listed = [i.key for i in self.instruments]
        repeated = sorted({k for k in listed if listed.count(k) > 1})
        if repeated:
            raise ValueError(f"instruments listed more than once: {repeated}")
        known = self.instrument_map()
        for index, market in enumerate(self.markets):
            self._resolve(index, market, known)  # what `tradewind run` would refuse, refused by `tradewind config`
        return self

    def instrument_map(self) -> dict[str, Instrument]:
        """Every known instrument by key: the defaults, then ``instruments:`` from config over them."""
        known = {i.key: i for i in default_instruments()}
        known.update((i.key, i.instrument()) for i in self.instruments)
        return known

    def all_instruments(self) -> tuple[Instrument, ...]:
        return tuple(self.instrument_map().values())

    def _resolve(self, index: int, market: MarketSettings, known: dict[str, Instrument]) -> Instrument:
        instrument = known.get(market.key)
        if instrument is None:
            raise ValueError(
                f"markets.{index} ({market.key}): no instrument {market.key}; add it under simulator.instruments "
                f"(category, symbol, base, tick_size, qty_step, min_qty, max_qty); known: {', '.join(sorted(known))}"
            )
        if instrument.base not in self.assets:
            raise ValueError(
                f"markets.{index} ({market.key}) needs assets.{instrument.base} (fair-value parameters, "
                "at least initial_price)"
            )
        return instrument

    def swarm_config(self, instruments: Iterable[Instrument] | None = None) -> SwarmConfig:
        """The domain configuration, with each market's instrument looked up in ``instruments``."""
        from tradewind.domain.simulation.swarm import MarketConfig, SwarmConfig  # the engines load where they run

        known = self.instrument_map() if instruments is None else {i.key: i for i in instruments}
        markets = []
        for index, market in enumerate(self.markets):
            instrument = self._resolve(index, market, known)
            asset = self.assets[instrument.base]
            _, population, basis = apply_scenario(
                self.scenario, asset, market.population or self.population, self.basis
            )
            if market.category is Category.SPOT and self.spot_flow_ratio != 1.0:
                population = population.with_flow(self.spot_flow_ratio)
            linear = market.category is Category.LINEAR
            markets.append(MarketConfig(instrument, population, basis if linear else None))
        bases = {m.instrument.base for m in markets}
        assets = tuple(
            (name, apply_scenario(self.scenario, params, self.population, self.basis)[0])
            for name, params in self.assets.items()
            if name in bases
        )
        return SwarmConfig(self.seed, tuple(markets), assets)
