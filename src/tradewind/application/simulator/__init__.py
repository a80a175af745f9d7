"""The exchange simulator's market: a swarm of simulated traders publishing market data.

The service loads on first use, so reading ``SimulatorSettings`` with the configuration stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.application.simulator.settings import MarketSettings, SimulatorSettings

if TYPE_CHECKING:
    from tradewind.application.simulator.service import MarketSimulatorService

__all__ = ["MarketSettings", "MarketSimulatorService", "SimulatorSettings"]


def __getattr__(name: str) -> object:
    if name == "MarketSimulatorService":
        return getattr(import_module(f"{__name__}.service"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
