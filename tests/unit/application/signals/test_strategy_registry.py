"""The strategy registry: built-in ``trend``, plug-ins through entry points (the installed example), clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradewind.application.signals.registry import StrategyError, StrategyRegistry
from tradewind.domain.signals.strategy import StrategySpec
from tradewind.domain.signals.trend import TrendStrategy
from tradewind.domain.values import Category


def spec(name: str, params: dict[str, object] | None = None) -> StrategySpec:
    return StrategySpec(f"{name}-1", name, "sim", Category.LINEAR, "BTCUSDT", 1, Decimal(10), params or {})


def test_the_built_in_trend_and_the_installed_example_plugin_are_known() -> None:
    registry = StrategyRegistry()
    assert registry.names()[0] == "trend"
    assert "breakout" in registry.names()  # examples/strategy_plugin, installed by the dev set-up
    assert isinstance(registry.build(spec("trend")), TrendStrategy)
    assert type(registry.build(spec("breakout"))).__module__ == "tradewind_breakout"


def test_an_unknown_name_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(StrategyError, match=r"unknown strategy 'meanrev'; known: trend, .*breakout"):
        StrategyRegistry().build(spec("meanrev"))


def test_bad_params_are_refused_naming_the_instance() -> None:
    with pytest.raises(StrategyError, match=r"strategy 'trend-1' \(trend\): trend params: unknown speed"):
        StrategyRegistry().build(spec("trend", {"speed": 3}))
    with pytest.raises(StrategyError, match=r"'breakout-1' \(breakout\): breakout params lookback must be"):
        StrategyRegistry().build(spec("breakout", {"lookback": "0"}))


def test_without_the_entry_point_group_only_built_ins_exist() -> None:
    assert StrategyRegistry(group=None).names() == ["trend"]


def test_a_factory_that_returns_no_strategy_is_refused() -> None:
    registry = StrategyRegistry({"broken": lambda s: object()}, group=None)  # type: ignore[arg-type,return-value]
    with pytest.raises(StrategyError, match="needs an int warmup"):
        registry.build(spec("broken"))
