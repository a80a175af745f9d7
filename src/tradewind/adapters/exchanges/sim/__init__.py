"""The in-process simulated exchange behind the ExchangeGateway port (no network)."""

from tradewind.adapters.exchanges.sim.gateway import SimGateway

__all__ = ["SimGateway"]
