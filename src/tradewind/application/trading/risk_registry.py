"""Risk strategies by name: the built-ins and those a ``tradewind.risk`` entry point adds (loaded by bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tradewind.domain.trading.risk import BUILT_IN, RiskFactory, RiskStrategy

RISK_GROUP = "tradewind.risk"  # the entry-point group of plug-in risk strategies


class RiskRegistry:
    """Builds a trade's strategies from its ``risk`` mapping (name -> parameter); plug-ins cannot take a built-in's
    name."""

    def __init__(self, plugins: Mapping[str, RiskFactory] | None = None) -> None:
        taken = set(plugins or {}) & set(BUILT_IN)
        if taken:
            raise ValueError(f"risk strategy names {sorted(taken)} are built in; a plug-in cannot take them")
        self._factories: dict[str, RiskFactory] = {**BUILT_IN, **(plugins or {})}

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def build(self, name: str, parameter: Decimal) -> RiskStrategy:
        """The strategy; ValueError naming the known ones if ``name`` is unknown, or the factory's own complaint."""
        factory = self._factories.get(name)
        if factory is None:
            raise ValueError(f"no risk strategy {name!r} (known: {', '.join(self.names)})")
        strategy = factory(parameter)
        if not isinstance(strategy, RiskStrategy):
            raise ValueError(f"risk strategy {name!r} built {type(strategy).__name__}, not a RiskStrategy")
        return strategy

    def strategies(self, risk: Mapping[str, Decimal]) -> list[RiskStrategy]:
        return [self.build(name, parameter) for name, parameter in risk.items()]
