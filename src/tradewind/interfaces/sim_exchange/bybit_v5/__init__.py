"""Bybit's V5 protocol (REST ``/v5/...`` and the WebSocket streams) in front of the simulated venue.

The routes and the WebSocket server load on first use; the settings do not need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.interfaces.sim_exchange.bybit_v5.settings import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.bybit_v5.app import ROUTES, Route, install_bybit
    from tradewind.interfaces.sim_exchange.bybit_v5.ws_app import WEBSOCKET, WebSocketServer

__all__ = [
    "ROUTES",
    "WEBSOCKET",
    "RateLimitSettings",
    "Route",
    "WebSocketServer",
    "WebSocketSettings",
    "install_bybit",
]
_LAZY = {"ROUTES": "app", "Route": "app", "install_bybit": "app", "WEBSOCKET": "ws_app", "WebSocketServer": "ws_app"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
