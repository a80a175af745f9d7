"""The simulated exchange's protocol faces (``bybit_v5``, ``binance_spot``) on one aiohttp application.

Shared by both faces: the application and its server (``app``), the settings, the WebSocket session,
the feed pumps (``feeds``), the tape cursor and the book diffs. The application loads on first use, so reading
``SimExchangeSettings`` with the configuration does not import aiohttp's server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.app import create_sim_exchange_app as create_sim_exchange_app
    from tradewind.interfaces.sim_exchange.app import serve_until_cancelled as serve_until_cancelled
    from tradewind.interfaces.sim_exchange.app import start_server as start_server
    from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings as SimExchangeSettings

_LAZY = LazyNames(
    __name__,
    {"app": ("create_sim_exchange_app", "serve_until_cancelled", "start_server"), "settings": ("SimExchangeSettings",)},
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
