"""What every composition shares: the clock, the simulated market with its venue, gateways, the database."""

from __future__ import annotations

from tradewind.adapters.clock import SimClock, WallClock
from tradewind.adapters.exchanges.factory import build_gateway
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.scheduling.apscheduler_waker import ApschedulerWaker
from tradewind.adapters.scheduling.doorbell import UnixDoorbell, doorbell_path
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.ports.twap import Doorbell, Waker
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.venue.service import SimVenue
from tradewind.settings import ConfigError, Settings


def build_clock(settings: Settings) -> Clock:
    return SimClock() if settings.clock == "sim" else WallClock()


def market_and_venue(settings: Settings, clock: Clock, bus: Bus) -> tuple[MarketSimulatorService, SimVenue]:
    """The swarm's engines shared with the venue; each tells the other of the operations it made."""
    simulator = MarketSimulatorService(clock, bus, settings.simulator)
    venue = SimVenue(simulator.engines(), clock, settings.venue)
    venue.add_report_listener(simulator.on_report)
    simulator.add_report_listener(venue.on_engine_report)
    return simulator, venue


def build_waker(settings: Settings, database: Database) -> Waker | None:
    """APScheduler's persisted wake-ups in live runs; a simulated clock drives the scheduler itself."""
    return ApschedulerWaker(database, poll_s=settings.twap.wake_poll_s) if settings.clock == "wall" else None


def build_doorbell(settings: Settings, database: Database) -> Doorbell | None:
    """A CLI ``create`` wakes the ``twap run`` of the same database at once (live runs; RabbitMQ carries it when
    distributed)."""
    return UnixDoorbell(doorbell_path(database)) if settings.clock == "wall" else None


def build_gateways(
    settings: Settings, venue: SimVenue | None, clock: Clock, bus: Bus | None = None
) -> dict[str, ExchangeGateway]:
    """The configured exchanges (``sim`` entries only when a venue runs in this process).

    Given a bus, each publishes ``order.event`` for its orders' states and fills (what ``dump_orders_to_db`` stores).
    """
    gateways = {
        name: build_gateway(name, entry, venue, clock)
        for name, entry in settings.exchanges.entries.items()
        if entry.type != "sim" or venue is not None
    }
    if bus is None:
        return gateways
    return {name: PublishingGateway(gateway, bus, clock) for name, gateway in gateways.items()}


def postgres(settings: Settings) -> Database:
    database = Database.from_settings(settings.storage)
    if database.backend != "postgresql":
        raise ConfigError(f"distributed mode stores to PostgreSQL; storage.url is {database.safe_url!r}")
    return database
