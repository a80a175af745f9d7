"""The ``tradewind sim-exchange`` application: Bybit's V5 protocol and, on the same port, Binance's spot protocol."""

from __future__ import annotations

from aiohttp import web

from tradewind.application.venue import SimVenue
from tradewind.interfaces.binance_spot.app import install_binance
from tradewind.interfaces.bybit_v5.app import create_app
from tradewind.interfaces.bybit_v5.settings import SimExchangeSettings


def create_sim_exchange_app(venue: SimVenue, settings: SimExchangeSettings) -> web.Application:
    """Bybit's ``/v5`` REST and streams for ``venue``, plus Binance's ``/api/v3``, ``/ws``, ``/stream`` if enabled."""
    app = create_app(venue, settings)
    if settings.binance.enabled:
        install_binance(app, venue, settings.binance)
    return app
