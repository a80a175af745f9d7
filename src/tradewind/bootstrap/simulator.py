"""The simulated exchange's workflow: the swarm's markets, the venue, and the server speaking Bybit V5 and Binance."""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.application.lifecycle import Component
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.venue.perp_clock import PerpClock
from tradewind.application.venue.service import SimVenue
from tradewind.bootstrap.common import SUPERVISED
from tradewind.bootstrap.platform import Platform, ServiceParts, SimulatedMarket
from tradewind.interfaces.health.server import HttpSite
from tradewind.interfaces.sim_exchange import create_sim_exchange_app
from tradewind.settings import Settings


@dataclass(frozen=True, slots=True)
class SimExchangeParts:
    """``server`` starts before the workflows that may trade on it; ``market`` starts last and stops first."""

    server: HttpSite | None
    market: Component
    perps: Component | None = None

    @property
    def serving(self) -> list[Component]:
        return [] if self.server is None else [site_component("sim-exchange", self.server)]

    @property
    def components(self) -> list[Component]:
        return [*self.serving, self.market, *self.running_perps]

    @property
    def running_perps(self) -> list[Component]:
        return [] if self.perps is None else [self.perps]


def simulated_market(platform: Platform) -> SimulatedMarket:
    """The platform's simulated market, made on first use: each side tells the other of the operations it made."""
    if platform.market is None:
        platform.market = SimulatedMarket(*market_and_venue(platform.settings, platform.clock, platform.bus))
    return platform.market


def market_and_venue(settings: Settings, clock: Clock, bus: Bus) -> tuple[MarketSimulatorService, SimVenue]:
    """The swarm's engines shared with the venue; each tells the other of the operations it made."""
    simulator = MarketSimulatorService(clock, bus, settings.simulator)
    venue = SimVenue(simulator.engines(), clock, settings.venue)
    venue.add_report_listener(simulator.on_report)
    simulator.add_report_listener(venue.on_engine_report)
    return simulator, venue


def sim_exchange(
    platform: Platform, *, serve: bool = True, host: str | None = None, port: int | None = None
) -> SimExchangeParts:
    """The market (and, with ``serve``, its server on ``host:port``, by default from settings)."""
    market = simulated_market(platform)
    server = exchange_site(platform, host, port) if serve else None
    return SimExchangeParts(server, running_market(market.simulator), perp_clock(platform))


def perp_clock(platform: Platform) -> Component:
    """The venue's perpetuals each second: mark price, funding every 8 h (published), liquidations."""
    market = simulated_market(platform)
    ticker = PerpClock(market.venue, platform.clock, platform.bus, platform.settings.simulator.exchange)
    return Component("perp-clock", None, ticker.run, ticker.stop, restart=SUPERVISED)


def exchange_site(platform: Platform, host: str | None = None, port: int | None = None) -> HttpSite:
    """The venue's server on ``host:port`` (by default from settings; port 0 picks a free one)."""
    settings = platform.settings.sim_exchange
    app = create_sim_exchange_app(simulated_market(platform).venue, settings)
    what = "the simulated exchange (sim_exchange.host, sim_exchange.port)"
    return HttpSite(app, host or settings.host, settings.port if port is None else port, what=what)


def running_market(simulator: MarketSimulatorService) -> Component:
    async def stop() -> None:
        simulator.stop()

    return Component("simulator", None, simulator.run, stop, restart=SUPERVISED)


def site_component(name: str, site: HttpSite) -> Component:
    return Component(name, site.start, None, site.stop)


def sim_exchange_service(platform: Platform) -> ServiceParts:
    """``sim-exchange``: the swarm's markets behind the venue's server; order operations counted in its metrics."""
    parts = sim_exchange(platform)
    metrics = platform.metrics
    if metrics is not None:
        venue = simulated_market(platform).venue
        venue.add_report_listener(lambda _instrument, report: metrics.orders.labels(report.status.value).inc())
    return ServiceParts(parts.components)
