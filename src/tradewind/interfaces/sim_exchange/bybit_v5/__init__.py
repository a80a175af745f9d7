"""Bybit's V5 protocol (REST ``/v5/...`` and the WebSocket streams) in front of the simulated venue."""

from tradewind.interfaces.sim_exchange.bybit_v5.app import ROUTES, Route, install_bybit
from tradewind.interfaces.sim_exchange.bybit_v5.settings import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ws_app import WEBSOCKET, WebSocketServer
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings

__all__ = [
    "ROUTES",
    "WEBSOCKET",
    "RateLimitSettings",
    "Route",
    "WebSocketServer",
    "WebSocketSettings",
    "install_bybit",
]
