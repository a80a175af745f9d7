"""Strategies by name: the built-in ones and those of installed plug-in packages (entry points).

A package registers a strategy factory under the entry-point group ``tradewind.strategies``::

    [project.entry-points."tradewind.strategies"]
    breakout = "my_package.breakout:BreakoutStrategy"

A factory takes the instance's ``StrategySpec`` and returns a ``Strategy``; a built-in name cannot be taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points

import structlog

from tradewind.domain.signals.strategy import Strategy, StrategyFactory, StrategySpec
from tradewind.domain.signals.trend import TrendStrategy

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "tradewind.strategies"
BUILT_IN: Mapping[str, StrategyFactory] = {"trend": TrendStrategy.from_spec}


class StrategyError(ValueError):
    """A strategy instance cannot be built: an unknown name, a plug-in that does not load, bad params."""


class StrategyRegistry:
    """Looks strategies up by name; plug-ins are found at construction and imported only when used."""

    def __init__(
        self, built_in: Mapping[str, StrategyFactory] = BUILT_IN, group: str | None = ENTRY_POINT_GROUP
    ) -> None:
        self._built_in = dict(built_in)
        self._plugins: dict[str, EntryPoint] = {}
        for point in entry_points(group=group) if group else ():
            if point.name in self._built_in:
                log.warning("strategies.plugin_shadowed", name=point.name, value=point.value)
                continue
            self._plugins[point.name] = point

    def names(self) -> list[str]:
        """Every strategy name this process can run, built-in first."""
        return [*self._built_in, *sorted(self._plugins)]

    def factory(self, name: str) -> StrategyFactory:
        """The factory of ``name``; StrategyError naming the known ones."""
        if name in self._built_in:
            return self._built_in[name]
        point = self._plugins.get(name)
        if point is None:
            raise StrategyError(f"unknown strategy {name!r}; known: {', '.join(self.names())}")
        try:
            loaded = point.load()
        except Exception as exc:  # a plug-in's import error is its own; say which plug-in
            raise StrategyError(f"strategy {name!r} ({point.value}) does not load: {exc!r}") from exc
        if not callable(loaded):
            raise StrategyError(f"strategy {name!r} ({point.value}) is not a factory")
        factory: StrategyFactory = loaded
        return factory

    def build(self, spec: StrategySpec) -> Strategy:
        """The strategy of one configured instance; StrategyError naming the instance and what is wrong."""
        factory = self.factory(spec.name)
        try:
            strategy = factory(spec)
        except (ValueError, TypeError) as exc:
            raise StrategyError(f"strategy {spec.id!r} ({spec.name}): {exc}") from exc
        warmup = getattr(strategy, "warmup", None)
        if not isinstance(warmup, int) or warmup < 1 or not callable(getattr(strategy, "on_candle", None)):
            raise StrategyError(f"strategy {spec.id!r} ({spec.name}): needs an int warmup >= 1 and on_candle()")
        return strategy
