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

__all__ = [
    "ROUTES",
    "SETTINGS",
    "VENUE",
    "RateLimitSettings",
    "Route",
    "SimExchangeSettings",
    "create_app",
    "serve_until_cancelled",
    "start_server",
]
