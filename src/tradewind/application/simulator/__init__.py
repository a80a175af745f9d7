"""The exchange simulator's market: a swarm of simulated traders publishing market data."""

from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.simulator.settings import MarketSettings, SimulatorSettings

__all__ = ["MarketSettings", "MarketSimulatorService", "SimulatorSettings"]
