"""Simulator settings: sensible defaults, unknown keys and impossible markets refused with a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.unit.domain.simulation.simulation_support import NS, START_NS, record
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.simulation.scenarios import Scenario
from tradewind.domain.simulation.swarm import Swarm
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


def test_a_market_without_an_instrument_or_asset_is_refused_naming_the_key() -> None:
    with pytest.raises(ValidationError, match=r"markets\.0 \(spot:DOGEUSDT\): no instrument spot:DOGEUSDT") as info:
        SimulatorSettings.model_validate({"markets": [{"category": "spot", "symbol": "DOGEUSDT"}]})
    assert "simulator.instruments" in str(info.value)
    sol = {"category": "spot", "symbol": "SOLUSDT", "base": "SOL", "tick_size": "0.01", "qty_step": "0.001"}
    sol |= {"min_qty": "0.001", "max_qty": "10000"}
    with pytest.raises(ValidationError, match=r"needs assets\.SOL"):
        SimulatorSettings.model_validate({"markets": [{"category": "spot", "symbol": "SOLUSDT"}], "instruments": [sol]})


def test_an_instrument_in_yaml_is_added_and_one_can_override_a_default() -> None:
    sol = {"symbol": "SOLUSDT", "base": "SOL", "tick_size": "0.01", "qty_step": "0.1", "min_qty": "0.1"}
    sol |= {"max_qty": "50000", "min_notional": "5"}
    tighter_btc = {"category": "linear", "symbol": "BTCUSDT", "base": "BTC", "tick_size": "0.5"}
    tighter_btc |= {"qty_step": "0.001", "min_qty": "0.001", "max_qty": "100"}
    settings = SimulatorSettings.model_validate(
        {
            "markets": [{"category": "spot", "symbol": "SOLUSDT"}, {"category": "linear", "symbol": "SOLUSDT"}],
            "instruments": [{"category": "spot", **sol}, {"category": "linear", **sol}, tighter_btc],
            "assets": {"SOL": {"initial_price": 150}},
        }
    )
    config = settings.swarm_config()
    assert [m.instrument.key for m in config.markets] == ["spot:SOLUSDT", "linear:SOLUSDT"]
    assert config.markets[0].instrument.tick_size == Decimal("0.01")
    assert [name for name, _ in config.assets] == ["SOL"]
    known = settings.instrument_map()
    assert known["linear:BTCUSDT"].tick_size == Decimal("0.5")
    assert known["spot:BTCUSDT"].tick_size == Decimal("0.1")  # the defaults not overridden stay


def test_an_assets_block_merges_with_the_defaults() -> None:
    settings = SimulatorSettings.model_validate(
        {"assets": {"ETH": {"initial_price": 3000}, "BTC": {"jumps_per_day": 2}}}
    )
    assert settings.assets["ETH"].initial_price == 3000
    assert settings.assets["ETH"].market_correlation == 0.8  # the default's other keys stay
    assert settings.assets["BTC"].initial_price == 65_000.0 and settings.assets["BTC"].jumps_per_day == 2


@pytest.mark.parametrize(
    ("instrument", "message"),
    [
        ({"tick_size": "0"}, "tick_size"),
        ({"min_qty": "5", "max_qty": "1"}, "min_qty <= max_qty"),
        ({"qty_step": "abc"}, "qty_step"),
    ],
)
def test_a_bad_instrument_is_refused(instrument: dict[str, str], message: str) -> None:
    base = {"category": "spot", "symbol": "SOLUSDT", "base": "SOL", "tick_size": "0.01", "qty_step": "0.1"}
    base |= {"min_qty": "0.1", "max_qty": "10"}
    with pytest.raises(ValidationError, match=message):
        SimulatorSettings.model_validate({"instruments": [base | instrument]})


def test_settings_are_frozen() -> None:
    settings = SimulatorSettings()
    with pytest.raises(ValidationError):
        settings.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("scenario", list(Scenario))
def test_each_named_scenario_changes_the_market_and_stays_seeded(scenario: Scenario) -> None:
    plain = SimulatorSettings().swarm_config()
    config = SimulatorSettings.model_validate({"scenario": scenario.value}).swarm_config()
    assert config != plain
    assert config == SimulatorSettings.model_validate({"scenario": scenario.value}).swarm_config()
    assert config.seed == plain.seed
    trades = record(Swarm(config, START_NS), NS // 10, 100).trade_lines
    assert trades == record(Swarm(config, START_NS), NS // 10, 100).trade_lines  # same seed, same trades


def test_the_dislocation_scenario_reuses_the_basis_shock_and_an_unknown_one_is_refused() -> None:
    config = SimulatorSettings.model_validate({"scenario": "spot_perp_dislocation"}).swarm_config()
    perp = config.markets[1]
    assert perp.basis is not None and perp.basis.shock_bp == 80.0 and perp.basis.shock_at(0) == 80.0
    with pytest.raises(ValidationError, match="scenario"):
        SimulatorSettings.model_validate({"scenario": "meteor"})


def test_spot_takers_trade_a_configurable_fraction_of_the_perps_flow() -> None:
    spot, perp = SimulatorSettings().swarm_config().markets
    assert perp.population == SimulatorSettings().population
    assert spot.population.noise.market_orders_per_minute == pytest.approx(
        0.2 * perp.population.noise.market_orders_per_minute
    )
    assert spot.population.meta.parents_per_hour == pytest.approx(0.2 * perp.population.meta.parents_per_hour)
    # A parent is worked five times as slowly: it spans as many taker orders, and the signs keep their memory.
    assert spot.population.meta.children_per_minute == pytest.approx(0.2 * perp.population.meta.children_per_minute)
    assert spot.population.meta.min_parent_notional == perp.population.meta.min_parent_notional
    # Signal traders trade toward a position: a fifth of the position is a fifth of the turnover.
    for spot_p, perp_p in (
        (spot.population.momentum, perp.population.momentum),
        (spot.population.mean_reversion, perp.population.mean_reversion),
    ):
        assert spot_p.max_position_notional == pytest.approx(0.2 * perp_p.max_position_notional)
        assert spot_p.trades_per_minute == pytest.approx(0.2 * perp_p.trades_per_minute)
        assert spot_p.trade_notional == perp_p.trade_notional
    assert spot.population.market_maker == perp.population.market_maker  # the makers quote as on the perp
    same_spot, same_perp = SimulatorSettings(spot_flow_ratio=1.0).swarm_config().markets
    assert same_spot.population == same_perp.population


@pytest.mark.parametrize("ratio", [0, -1, 11])
def test_an_impossible_spot_flow_ratio_is_refused(ratio: float) -> None:
    with pytest.raises(ValidationError, match="spot_flow_ratio"):
        SimulatorSettings(spot_flow_ratio=ratio)
