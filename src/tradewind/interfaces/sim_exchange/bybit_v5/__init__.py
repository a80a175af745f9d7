"""Bybit's V5 protocol (REST ``/v5/...`` and the WebSocket streams) in front of the simulated venue.

The routes and the WebSocket server load on first use; the settings do not need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.bybit_v5.app import ROUTES as ROUTES
    from tradewind.interfaces.sim_exchange.bybit_v5.app import Route as Route
    from tradewind.interfaces.sim_exchange.bybit_v5.app import install_bybit as install_bybit
    from tradewind.interfaces.sim_exchange.bybit_v5.settings import RateLimitSettings as RateLimitSettings
    from tradewind.interfaces.sim_exchange.bybit_v5.ws_app import WEBSOCKET as WEBSOCKET
    from tradewind.interfaces.sim_exchange.bybit_v5.ws_app import WebSocketServer as WebSocketServer
    from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings as WebSocketSettings

_LAZY = LazyNames(
    __name__,
    {
        "app": ("ROUTES", "Route", "install_bybit"),
        "settings": ("RateLimitSettings",),
        "ws_app": ("WEBSOCKET", "WebSocketServer"),
        "ws_settings": ("WebSocketSettings",),
    },
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
