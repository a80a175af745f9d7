"""Signal trading's producers: the configured strategy instances on a candle feed, their kline-history gateways.

Embedded: ``producer(platform)`` when ``producer.enabled``. Distributed: ``tradewind service producer --strategy
NAME`` (``producer.strategy``) runs the instances whose id or strategy name is NAME, publishing over RabbitMQ.
The dashboard's chart candles (``chart_candles``), one-minute candles of every market whose trades reach the bus:
embedded on the producer's feed when one runs, else on a feed of their own; distributed in the ``market-data``
service alone, the producer leaving every one-minute candle unpublished.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from tradewind.application.lifecycle import Component
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.signals.candles import CandleFeed
from tradewind.application.signals.producer import SignalProducer
from tradewind.application.signals.registry import StrategyError, StrategyRegistry
from tradewind.application.signals.settings import StrategySettings
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.settings import ConfigError, Settings

log = structlog.get_logger(__name__)
CHART_INTERVAL = 1  # minutes: the candles the dashboard's zoomed-out price chart reads


@dataclass(frozen=True, slots=True)
class ProducerParts:
    producer: SignalProducer
    feed: CandleFeed
    components: list[Component]


def selected(settings: Settings, only: str | None = None) -> list[StrategySettings]:
    """The enabled instances (with ``only``: those whose id or strategy name it is); ConfigError if none."""
    chosen = [s for s in settings.strategies if s.enabled and (only is None or only in (s.id, s.name))]
    if not chosen:
        known = ", ".join(f"{s.id} ({s.name})" for s in settings.strategies) or "none configured"
        wanted = f" named {only!r}" if only is not None else ""
        raise ConfigError(f"strategies: no enabled strategy instance{wanted}; configured: {known}")
    return chosen


def history_gateways(platform: Platform, names: set[str]) -> dict[str, ExchangeGateway]:
    """A gateway per ``exchanges`` entry named, for public kline history only (no keys needed)."""
    from tradewind.adapters.exchanges.ccxt import open_gateway  # ccxt loads where a gateway is built
    from tradewind.adapters.exchanges.sim.gateway import SimGateway

    settings, venue = platform.settings, platform.venue
    gateways: dict[str, ExchangeGateway] = {}
    for name in sorted(names):
        entry = settings.exchanges.entries.get(name)
        if entry is None or (entry.type == "sim" and venue is None):
            log.info("producer.no_history_exchange", exchange=name)
            continue
        if entry.type == "sim":
            assert venue is not None
            gateways[name] = SimGateway(venue, entry.sim_account, name)
        else:
            gateways[name] = open_gateway(name, entry, None, platform.clock)
    return gateways


def producer(platform: Platform, *, charted_elsewhere: bool = False) -> ProducerParts:
    """The enabled strategy instances of config (those ``producer.strategy`` names, if set) over one candle feed;
    with ``charted_elsewhere`` every market's one-minute candles are another service's to publish."""
    settings = platform.settings
    chosen = selected(settings, settings.producer.strategy)
    registry = StrategyRegistry()
    try:
        built = [(s.spec(), registry.build(s.spec()), s.history_exchange or s.exchange) for s in chosen]
    except StrategyError as exc:
        raise ConfigError(str(exc)) from None
    gateways = history_gateways(platform, {name for _, _, name in built})
    knobs = settings.producer
    feed = CandleFeed(
        platform.bus, platform.clock, close_delay_s=knobs.close_delay_s, publish=knobs.publish_candles,
        published_elsewhere=[CHART_INTERVAL] if charted_elsewhere else [],
    )  # fmt: skip
    trader = settings.trader
    the_producer = SignalProducer(
        platform.bus, platform.clock, feed, strategies=built, gateways=gateways, settings=knobs,
        work_queue=(trader.pattern, trader.queue),
    )  # fmt: skip

    async def close_gateways() -> None:
        for gateway in gateways.values():
            await gateway.close()

    components = [
        Component("history-gateways", None, None, close_gateways),
        Component("producer", the_producer.start, None, the_producer.stop),
    ]
    return ProducerParts(the_producer, feed, components)


def chart_candles(platform: Platform, producer: ProducerParts | None) -> list[Component]:
    """One-minute candles of every market whose trades reach the bus (simulated, subscribed on any exchange, with a
    strategy or not) on the bus as ``md.candle``, so the recorder stores them for the dashboard's price chart: on the
    producer's feed when one runs (no second feed, no candle published twice), else on a feed of their own."""
    if producer is not None:
        producer.feed.track_every(CHART_INTERVAL)
        return []
    feed = CandleFeed(platform.bus, platform.clock, close_delay_s=platform.settings.producer.close_delay_s)
    feed.track_every(CHART_INTERVAL)
    return [Component("chart-candles", feed.start, None, feed.stop)]


def producer_service(platform: Platform) -> ServiceParts:
    """``producer``: strategy instances on candles of the bus's trades; publishes ``signal.trade`` and ``md.candle``
    (not the one-minute candles: ``market-data`` publishes those of every market)."""
    return ServiceParts(producer(platform, charted_elsewhere=True).components)
