"""Bybit V5 protocol server in front of the simulated venue (REST here; WebSocket routes join the same app)."""

from tradewind.interfaces.bybit_v5.app import (
    ROUTES,
    SETTINGS,
    VENUE,
    Route,
    create_app,
    serve_until_cancelled,
    start_server,
)
from tradewind.interfaces.bybit_v5.settings import RateLimitSettings, SimExchangeSettings
from tradewind.interfaces.bybit_v5.ws_app import WEBSOCKET, WebSocketServer
from tradewind.interfaces.bybit_v5.ws_settings import WebSocketSettings

__all__ = [
    "ROUTES",
    "SETTINGS",
    "VENUE",
    "WEBSOCKET",
    "RateLimitSettings",
    "Route",
    "SimExchangeSettings",
    "WebSocketServer",
    "WebSocketSettings",
    "create_app",
    "serve_until_cancelled",
    "start_server",
]
