"""Binance's spot protocol (REST ``/api/v3``, WebSocket ``/ws`` and ``/stream``) in front of the simulated venue.

``app.install_binance`` adds it to the simulated exchange's application beside Bybit's face, so one
``tradewind sim-exchange`` process speaks both; this package root only exports the settings.
"""

from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings

__all__ = ["BinanceSpotSettings"]
