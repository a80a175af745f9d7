"""docs/strategies.md stays true: its worked example is the installed plug-in's code, and that code works."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml

from tradewind.application.signals.registry import StrategyRegistry
from tradewind.application.signals.settings import StrategySettings
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.signals.signal import Action

ROOT = Path(__file__).resolve().parents[4]
DOC = (ROOT / "docs" / "strategies.md").read_text()
PLUGIN = ROOT / "examples" / "strategy_plugin"
D = Decimal
T0 = 1_767_225_600_000


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_worked_example_is_the_plugin_code_and_its_entry_point() -> None:
    source = (PLUGIN / "src" / "tradewind_breakout" / "__init__.py").read_text()
    assert source in blocks("python")
    assert (PLUGIN / "pyproject.toml").read_text() in blocks("toml")


def test_the_configured_breakout_instance_buys_a_breakout_and_sells_a_breakdown() -> None:
    (config,) = blocks("yaml")
    instances = [StrategySettings(**raw) for raw in yaml.safe_load(config)["strategies"]]
    breakout = next(s for s in instances if s.name == "breakout")
    strategy = StrategyRegistry().build(breakout.spec())
    ref = breakout.spec().ref

    def candle(i: int, low: str, high: str, close: str) -> Candle:
        return Candle(ref, 1, T0 + i * MINUTE_MS, D(close), D(high), D(low), D(close), D(1), D(close), 1)

    channel = [candle(i, "99", "101", "100") for i in range(20)]
    assert strategy.warmup == 21
    assert strategy.on_candle(channel) is None  # still warming up
    assert strategy.on_candle([*channel, candle(20, "100", "101", "100.5")]) is None  # inside the channel

    buy = strategy.on_candle([*channel, candle(20, "100", "102", "101.5")])
    sell = strategy.on_candle([*channel, candle(20, "98", "100", "98.5")])

    assert buy is not None and sell is not None
    assert (buy.action, buy.take_profit_pct, buy.stop_loss_pct, buy.source) == (
        Action.BUY, D(2), D(1), "breakout-eth"
    )  # fmt: skip
    assert (buy.symbol, buy.amount_quote, buy.price) == ("ETHUSDT", D(50), D("101.5"))
    assert (sell.action, sell.take_profit_pct) == (Action.SELL, None)


def test_every_configured_example_instance_builds() -> None:
    (config,) = blocks("yaml")
    registry = StrategyRegistry()
    for raw in yaml.safe_load(config)["strategies"]:
        settings = StrategySettings(**raw)
        assert registry.build(settings.spec()).warmup >= 1
