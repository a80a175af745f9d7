"""Builds the gateways and market streams of the configured exchange entries (used by bootstrap only)."""

from __future__ import annotations

from typing import Any

from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.ccxt.bybit_ws import BybitPublicStream
from tradewind.adapters.exchanges.ccxt.capabilities import capabilities_for
from tradewind.adapters.exchanges.ccxt.client import build_client, public_ws_url
from tradewind.adapters.exchanges.ccxt.pro_stream import CcxtProStream
from tradewind.adapters.exchanges.settings import ExchangeSettings, ExchangesSettings, load_credentials
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.adapters.exchanges.sim.stream import SimMarketStream
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.ports.market_data import MarketStream
from tradewind.application.venue import SimVenue
from tradewind.domain.values import Category


def build_gateway(name: str, settings: ExchangeSettings, venue: SimVenue | None, clock: Clock) -> ExchangeGateway:
    if settings.type == "sim":
        if venue is None:
            raise ValueError(f"exchange {name!r} is type sim but no simulated venue runs in this process")
        return SimGateway(venue, settings.sim_account, name)
    return open_gateway(name, settings, load_credentials(name, settings), clock)


def build_market_streams(
    exchanges: ExchangesSettings, venue: SimVenue | None = None, clock: Clock | None = None
) -> dict[str, MarketStream]:
    """One public stream per exchange entry: Bybit's native WebSocket client, ccxt.pro for any other ccxt exchange,
    and the in-process venue for a ``sim`` entry when a venue runs in this process."""
    streams: dict[str, MarketStream] = {}
    for name, entry in exchanges.entries.items():
        if entry.type == "sim" and venue is not None:
            streams[name] = SimMarketStream(venue, clock or venue.clock)
        elif entry.type == "bybit":

            def url_for(category: Category, entry: ExchangeSettings = entry) -> str:
                return public_ws_url(entry, category.value)

            streams[name] = BybitPublicStream(url_for, contiguous_u=capabilities_for(entry).book_u_contiguous)
        elif entry.type != "sim":

            def pro_client(entry: ExchangeSettings = entry) -> Any:
                return build_client(entry, None, pro=True)

            streams[name] = CcxtProStream(pro_client)
    return streams
