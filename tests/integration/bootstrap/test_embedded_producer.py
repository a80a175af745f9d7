"""The embedded system runs the configured strategies when ``producer.enabled``, and refuses a bad one at build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tradewind.bootstrap.embedded import build_embedded
from tradewind.settings import ConfigError, Settings

TREND = {"id": "trend-btc", "name": "trend", "exchange": "sim", "category": "linear", "symbol": "BTCUSDT",
         "amount_quote": "100", "params": {"fast": 3, "slow": 5, "trend": 0}}  # fmt: skip


def settings(tmp_path: Path, **changes: Any) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"enabled": False},
            "strategies": [TREND],
            **changes,
        }
    )


async def test_the_producer_runs_its_strategy_on_the_sim_market_unless_turned_off(tmp_path: Path) -> None:
    off = build_embedded(settings(tmp_path, producer={"enabled": False}), console_logging=False, serve_exchange=False)
    on = build_embedded(settings(tmp_path, producer={"enabled": True}), console_logging=False, serve_exchange=False)

    assert off.producer is None
    assert on.producer is not None
    await on.start()
    try:
        (running,) = on.producer.producer.running
        assert (running.spec.id, running.spec.ref.topic("trade")) == ("trend-btc", "md.trade.sim.linear.BTCUSDT")
        assert running.history_exchange == "sim"  # warmed up from the in-process venue's klines
        assert on.recorder.stats.malformed == 0
    finally:
        await on.stop()


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({**TREND, "name": "nope"}, "unknown strategy 'nope'; known: trend"),
        ({**TREND, "params": {"fast": 9, "slow": 5}}, "strategy 'trend-btc' (trend): trend params: fast (9)"),
    ],
)
def test_a_strategy_that_cannot_be_built_stops_the_build_naming_it(
    tmp_path: Path, strategy: dict[str, Any], message: str
) -> None:
    bad = settings(tmp_path, strategies=[strategy], producer={"enabled": True})
    with pytest.raises(ConfigError) as info:
        build_embedded(bad, console_logging=False, serve_exchange=False)
    assert message in str(info.value)
