"""The ``tradewind sim-exchange`` application: Bybit's V5 protocol and, on the same port, Binance's spot protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from tradewind.application.venue import SimVenue
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.sim_exchange.binance_spot.app import install_binance
from tradewind.interfaces.sim_exchange.bybit_v5.app import install_bybit
from tradewind.interfaces.sim_exchange.faults import FaultPlan
from tradewind.interfaces.sim_exchange.faults.admin import install_admin
from tradewind.interfaces.sim_exchange.faults.venue import fill_splitter
from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings


def create_sim_exchange_app(venue: SimVenue, settings: SimExchangeSettings) -> web.Application:
    """Bybit's ``/v5`` REST and streams for ``venue``, plus Binance's ``/api/v3``, ``/ws``, ``/stream`` if enabled.

    Both faces and the venue's fills ask one fault plan (``settings.faults``), which ``/admin/faults`` replaces.
    """
    app = web.Application(client_max_size=settings.max_body_bytes)
    numbers = NumberLimits(max_magnitude=settings.max_number)
    faults = FaultPlan(settings.faults, venue.clock.now_ms())
    install_admin(app, venue, faults)
    venue.set_fill_splitter(fill_splitter(faults, venue.clock.now_ms))
    install_bybit(app, venue, settings.rate_limits, settings.websocket, numbers, faults=faults)
    if settings.binance.enabled:
        # Binance's own pattern allows 20 decimal places; the size bound is the configured one.
        install_binance(app, venue, settings.binance, NumberLimits(settings.max_number, max_places=20), faults)
    return app


async def start_server(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host:port`` (port 0 picks a free one); return the runner and the bound port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, int(bound)


async def serve_until_cancelled(
    app: web.Application, host: str, port: int, ready: Callable[[int], None] | None = None
) -> None:
    """Serve ``app`` until the task is cancelled (``tradewind sim-exchange``); ``ready`` gets the bound port."""
    runner, bound = await start_server(app, host, port)
    try:
        if ready is not None:
            ready(bound)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
