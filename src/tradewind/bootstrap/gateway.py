"""The HTTP API's workflow: one FastAPI app over the services of the other workflows (the gateway service)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from tradewind.application.lifecycle import Component
from tradewind.application.ports.market_data import MarketData
from tradewind.application.twap.service import TwapService
from tradewind.bootstrap.commands import commands_over
from tradewind.bootstrap.marketdata import mirror
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.twap import twap
from tradewind.interfaces.http import HttpServer, create_http_app

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HttpParts:
    server: HttpServer
    component: Component


def http_api(platform: Platform, market_data: MarketData, twap: TwapService | None) -> HttpParts:
    """The HTTP API on ``http.host:http.port``; its port is known once started (0 picks a free one)."""
    settings = platform.settings
    server = HttpServer(
        create_http_app(commands_over(settings, twap, market_data)), settings.http.host, settings.http.port
    )

    async def serve() -> None:
        port = await server.start()
        log.info("gateway.http_listening", url=f"http://{settings.http.host}:{port}")

    return HttpParts(server, Component("http", serve, None, server.stop))


def gateway_service(platform: Platform) -> ServiceParts:
    """``gateway``: the HTTP API, market data through the market-data service, TWAP control reaching the scheduler."""
    control = twap(platform, execute=False)  # only reads and writes TWAP rows: the storage service migrates
    market_data, book_mirror = mirror(platform)
    http = http_api(platform, market_data, control.service)
    return ServiceParts([*control.components, book_mirror, http.component])
