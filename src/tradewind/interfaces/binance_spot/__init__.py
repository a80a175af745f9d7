"""Binance spot protocol (REST ``/api/v3``, WebSocket ``/ws`` and ``/stream``) in front of the simulated venue.

``install.install_binance`` adds it to the Bybit V5 application, so one ``tradewind sim-exchange`` process
speaks both; this package root only exports the settings, which the Bybit settings embed.
"""

from tradewind.interfaces.binance_spot.settings import BinanceSpotSettings

__all__ = ["BinanceSpotSettings"]
