"""Named market scenarios: each is a change of the simulator's parameters, so it is as seeded as the rest."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from tradewind.domain.simulation.fair_value import AssetParams, BasisParams
from tradewind.domain.simulation.population import PopulationParams


class Scenario(StrEnum):
    """What ``simulator.scenario`` switches on (docs/simulator.md, "Scenarios")."""

    FLASH_CRASH = "flash_crash"  # rare, very large jumps with turbulence after them, on a thinner book
    VOLATILITY_STORM = "volatility_storm"  # three times the volatility, more jumps, longer turbulence
    LIQUIDITY_DROUGHT = "liquidity_drought"  # one maker, a tenth of the depth, four times the spread
    SPOT_PERP_DISLOCATION = "spot_perp_dislocation"  # the perp 80 bp off spot for 5 minutes in every 10
    FUNDING_SPIKE = "funding_spike"  # a persistent 60 bp premium: funding at the cap


def apply_scenario(
    scenario: Scenario | None, asset: AssetParams, population: PopulationParams, basis: BasisParams
) -> tuple[AssetParams, PopulationParams, BasisParams]:
    """The parameters under ``scenario`` (unchanged without one)."""
    maker = population.market_maker
    if scenario is Scenario.FLASH_CRASH:
        asset = replace(asset, jumps_per_day=6.0, jump_scale=0.03, jump_vol_kick=1.5)
        population = replace(population, market_maker=replace(maker, level_notional=maker.level_notional / 4))
    elif scenario is Scenario.VOLATILITY_STORM:
        asset = replace(
            asset,
            vol_per_minute=asset.vol_per_minute * 3,
            jumps_per_day=asset.jumps_per_day * 4,
            fast_vol_half_life_s=asset.fast_vol_half_life_s * 3,
        )
    elif scenario is Scenario.LIQUIDITY_DROUGHT:
        thin = replace(maker, level_notional=maker.level_notional / 10, half_spread_ticks=maker.half_spread_ticks * 4)
        population = replace(population, market_makers=1, market_maker=thin)
    elif scenario is Scenario.SPOT_PERP_DISLOCATION:
        basis = replace(basis, shock_bp=80.0, shock_period_s=600.0, shock_duty=0.5)
    elif scenario is Scenario.FUNDING_SPIKE:
        basis = replace(basis, mean_bp=60.0, std_bp=4.0)
    return asset, population, basis
