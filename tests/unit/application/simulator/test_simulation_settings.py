"""Simulator settings: sensible defaults, unknown keys and impossible markets refused with a clear error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.values import Category


def test_defaults_simulate_btc_spot_and_perp_under_one_matching_key() -> None:
    settings = SimulatorSettings()
    assert [(m.category, m.symbol, m.group) for m in settings.markets] == [
        (Category.SPOT, "BTCUSDT", "BTCUSDT"),
        (Category.LINEAR, "BTCUSDT", "BTCUSDT"),
    ]
    config = settings.swarm_config()
    spot, perp = config.markets
    assert spot.basis is None and perp.basis == settings.basis
    assert [name for name, _ in config.assets] == ["BTC"]


def test_eth_markets_can_be_simulated_too() -> None:
    settings = SimulatorSettings.model_validate(
        {
            "markets": [{"category": "spot", "symbol": "ETHUSDT"}, {"category": "linear", "symbol": "ETHUSDT"}],
            "population": {"noise_traders": 2, "noise": {"median_notional": 500}},
        }
    )
    config = settings.swarm_config()
    assert [m.instrument.key for m in config.markets] == ["spot:ETHUSDT", "linear:ETHUSDT"]
    assert config.markets[0].population.noise.median_notional == 500
    assert [name for name, _ in config.assets] == ["ETH"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"seeed": 1}, "seeed"),
        ({"population": {"market_maker": {"half_spread": 2}}}, "half_spread"),
        ({"population": {"noise_traders": -1}}, "negative"),
        ({"step_interval_ms": 0}, "step_interval_ms"),
        ({"markets": []}, "markets"),
        ({"markets": [{"category": "spot", "symbol": "BTCUSDT"}] * 2}, "more than once"),
        ({"markets": [{"category": "inverse", "symbol": "BTCUSD"}]}, "category"),
        ({"exchange": "sim.x"}, "exchange"),
    ],
)
def test_bad_settings_are_refused_naming_the_problem(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SimulatorSettings.model_validate(raw)


def test_a_market_without_an_instrument_or_asset_is_refused_when_built() -> None:
    unknown = SimulatorSettings.model_validate({"markets": [{"category": "spot", "symbol": "DOGEUSDT"}]})
    with pytest.raises(ValueError, match="no instrument spot:DOGEUSDT"):
        unknown.swarm_config()
    no_asset = SimulatorSettings.model_validate({"assets": {"ETH": {"initial_price": 3000}}})
    with pytest.raises(ValueError, match=r"assets\.BTC"):
        no_asset.swarm_config()


def test_settings_are_frozen() -> None:
    settings = SimulatorSettings()
    with pytest.raises(ValidationError):
        settings.seed = 3  # type: ignore[misc]


def test_spot_takers_trade_a_configurable_fraction_of_the_perps_flow() -> None:
    spot, perp = SimulatorSettings().swarm_config().markets
    assert perp.population == SimulatorSettings().population
    assert spot.population.noise.market_orders_per_minute == pytest.approx(
        0.2 * perp.population.noise.market_orders_per_minute
    )
    assert spot.population.meta.parents_per_hour == pytest.approx(0.2 * perp.population.meta.parents_per_hour)
    assert spot.population.market_maker == perp.population.market_maker  # the makers quote as on the perp
    same_spot, same_perp = SimulatorSettings(spot_flow_ratio=1.0).swarm_config().markets
    assert same_spot.population == same_perp.population


@pytest.mark.parametrize("ratio", [0, -1, 11])
def test_an_impossible_spot_flow_ratio_is_refused(ratio: float) -> None:
    with pytest.raises(ValidationError, match="spot_flow_ratio"):
        SimulatorSettings(spot_flow_ratio=ratio)
