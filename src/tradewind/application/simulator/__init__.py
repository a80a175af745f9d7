"""The exchange simulator's market: a swarm of simulated traders publishing market data.

Each name loads its module on first use, so reading ``SimulatorSettings`` with the configuration stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.application.simulator.service import MarketSimulatorService as MarketSimulatorService
    from tradewind.application.simulator.settings import MarketSettings as MarketSettings
    from tradewind.application.simulator.settings import SimulatorSettings as SimulatorSettings

_LAZY = LazyNames(
    __name__, {"service": ("MarketSimulatorService",), "settings": ("MarketSettings", "SimulatorSettings")}
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
