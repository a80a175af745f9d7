"""The simulated exchange's protocol faces (``bybit_v5``, ``binance_spot``) on one aiohttp application.

Shared by both faces: the application and its server (``app``), the settings, the WebSocket session,
the feed pumps (``feeds``), the tape cursor and the book diffs. The application loads on first use, so reading
``SimExchangeSettings`` with the configuration does not import aiohttp's server.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings

if TYPE_CHECKING:
    from tradewind.interfaces.sim_exchange.app import create_sim_exchange_app, serve_until_cancelled, start_server

__all__ = ["SimExchangeSettings", "create_sim_exchange_app", "serve_until_cancelled", "start_server"]
_LAZY = frozenset({"create_sim_exchange_app", "serve_until_cancelled", "start_server"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.app"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
