"""Adding a market (here a YAML-only SOLUSDT) leaves every other market's trades byte for byte the same."""

from __future__ import annotations

from tests.unit.domain.simulation.simulation_support import NS, START_NS, record
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.simulation.swarm import Swarm

SOL = {"symbol": "SOLUSDT", "base": "SOL", "tick_size": "0.01", "qty_step": "0.1", "min_qty": "0.1"}
SOL |= {"max_qty": "50000", "min_notional": "5"}
BTC_MARKETS = [{"category": "spot", "symbol": "BTCUSDT"}, {"category": "linear", "symbol": "BTCUSDT"}]


def _btc_lines(markets: list[dict[str, str]]) -> list[bytes]:
    settings = SimulatorSettings.model_validate(
        {
            "seed": 11,
            "markets": markets,
            "instruments": [{"category": "spot", **SOL}, {"category": "linear", **SOL}],
            "assets": {"SOL": {"initial_price": 150}},
        }
    )
    rec = record(Swarm(settings.swarm_config(), START_NS), NS // 10, 600)
    return [line for line in rec.trade_lines if b'"symbol": "BTCUSDT"' in line]


def test_adding_a_market_does_not_change_the_trades_of_the_others() -> None:
    alone = _btc_lines(BTC_MARKETS)
    with_sol = _btc_lines(
        [*BTC_MARKETS, {"category": "spot", "symbol": "SOLUSDT"}, {"category": "linear", "symbol": "SOLUSDT"}]
    )
    assert len(alone) > 100
    assert alone == with_sol


def test_the_same_seed_and_clock_give_the_same_trades_with_a_yaml_market() -> None:
    markets = [{"category": "linear", "symbol": "SOLUSDT"}]
    assert _btc_lines(markets) == _btc_lines(markets) == []  # no BTC here: the SOL stream is compared below
    settings = SimulatorSettings.model_validate(
        {"markets": markets, "instruments": [{"category": "linear", **SOL}], "assets": {"SOL": {"initial_price": 150}}}
    )
    a = record(Swarm(settings.swarm_config(), START_NS), NS // 10, 300)
    b = record(Swarm(settings.swarm_config(), START_NS), NS // 10, 300)
    assert len(a.trade_lines) > 10 and a.trade_lines == b.trade_lines
