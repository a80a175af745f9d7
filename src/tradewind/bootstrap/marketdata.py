"""The market-data workflow: the collector of public streams (local books, ``md.*``), or its mirror over the bus."""

from __future__ import annotations

from tradewind.adapters.exchanges.factory import build_market_streams
from tradewind.adapters.store.sqlalchemy.subscription_repository import SqlSubscriptionRepository
from tradewind.application.lifecycle import Component
from tradewind.application.marketdata.remote import BusMarketData
from tradewind.application.marketdata.rpc import MarketDataResponder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.signals import chart_candles
from tradewind.bootstrap.storage import schema_at_head


def collector(platform: Platform) -> tuple[MarketDataService, list[Component]]:
    """Streams of the configured exchanges (the in-process venue's too); run-time subscriptions saved in the DB."""
    settings = platform.settings
    streams = build_market_streams(settings.exchanges, platform.venue, platform.clock)
    store = SqlSubscriptionRepository(platform.database)
    service = MarketDataService(
        platform.bus, platform.clock, streams, settings.market_data, store=store, metrics=platform.metrics
    )
    return service, [Component("collector", service.start, None, service.close)]


def responder(platform: Platform, market_data: MarketDataService) -> Component:
    """Answers other processes' market-data requests (``rpc.md.*``) from the collector."""
    answering = MarketDataResponder(platform.bus, market_data)
    return Component("rpc", answering.start, None, answering.stop)


def mirror(platform: Platform) -> tuple[BusMarketData, Component]:
    """The collector seen from another process: books mirrored from ``md.book``, requests over the bus."""
    remote = BusMarketData(platform.bus)
    return remote, Component("book-mirror", None, None, remote.close)


def market_data_service(platform: Platform) -> ServiceParts:
    """``market-data``: the collector (subscriptions saved in the database), its request/reply face, and the
    dashboard chart's one-minute candles of every market on the bus (this one replica alone publishes them)."""
    service, components = collector(platform)
    candles = chart_candles(platform, None)
    # The candles' feed listens before the collector streams, so the first minute's candle misses none of its trades.
    return ServiceParts([schema_at_head(platform), *candles, *components, responder(platform, service)])
