"""The distributed compositions: one service per process over RabbitMQ and PostgreSQL (``tradewind service NAME``)."""

from __future__ import annotations

import asyncio

import structlog

from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.exchanges.factory import build_market_streams
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.store.sqlalchemy.database import Database, StorageError
from tradewind.adapters.store.sqlalchemy.order_repository import SqlOrderRepository
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.subscription_repository import SqlSubscriptionRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.application.marketdata.remote import BusMarketData
from tradewind.application.marketdata.rpc import MarketDataResponder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.ports.clock import Clock
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.bootstrap.common import (
    build_clock,
    build_gateways,
    build_waker,
    market_and_venue,
    postgres,
    spill_store,
)
from tradewind.bootstrap.twap import build_twap
from tradewind.interfaces.health.metrics import MeteredBus, ServiceMetrics
from tradewind.interfaces.health.server import HttpSite
from tradewind.interfaces.health.service import Component, DistributedService, ServiceUnavailable
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.interfaces.sim_exchange import create_sim_exchange_app
from tradewind.settings import ConfigError, Settings

log = structlog.get_logger(__name__)

# The services `tradewind service NAME` runs now; the other names in SERVICE_NAMES are reserved for their workflows.
DISTRIBUTED_SERVICES = ("sim-exchange", "market-data", "storage", "gateway", "twap-scheduler", "twap-ordering")


def build_distributed(settings: Settings, service: str) -> DistributedService:
    """One service of the distributed mode (``tradewind service NAME``): RabbitMQ bus, PostgreSQL, probes, metrics."""
    if settings.mode != "distributed":
        raise ConfigError(f"`tradewind service` needs mode: distributed (got {settings.mode!r}; TRADEWIND_MODE)")
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    metrics = ServiceMetrics(service)
    bus = MeteredBus(RabbitMqBus(settings.distributed.bus), metrics)
    clock = build_clock(settings)
    if service == "sim-exchange":
        simulator, venue = market_and_venue(settings, clock, bus)
        venue.add_report_listener(lambda _instrument, report: metrics.orders.labels(report.status.value).inc())
        site = HttpSite(
            create_sim_exchange_app(venue, settings.sim_exchange),
            settings.sim_exchange.host,
            settings.sim_exchange.port,
        )
        parts = [Component("bybit-v5", site.start, None, site.stop), _running("simulator", simulator)]
        return DistributedService(service, settings.distributed, bus, metrics, parts)
    if service == "storage":
        database = postgres(settings)
        queue = settings.recorder.queue or settings.distributed.storage_queue
        recording = settings.recorder.model_copy(update={"queue": queue})
        orders = SqlOrderRepository(database) if recording.dump_orders_to_db else None
        recorder = MarketDataRecorder(
            bus, SqlMarketDataRepository(database), clock, recording, orders=orders, spill=spill_store(recording)
        )
        parts = [_migrations(settings, database), Component("recorder", recorder.start, None, recorder.stop)]
        return DistributedService(service, settings.distributed, bus, metrics, parts, database, (queue,))
    if service in ("twap-scheduler", "twap-ordering"):
        return _twap_service(settings, service, bus, metrics, clock)
    if service == "gateway":
        return _gateway(settings, bus, metrics, clock)
    if service == "market-data":
        database = postgres(settings)  # run-time subscriptions are saved there and resumed at start
        store = SqlSubscriptionRepository(database)
        streams = build_market_streams(settings.exchanges)
        collector = MarketDataService(bus, clock, streams, settings.market_data, store=store)
        responder = MarketDataResponder(bus, collector)
        parts = [
            _schema_at_head(database),
            Component("collector", collector.start, None, collector.close),
            Component("rpc", responder.start, None, responder.stop),
        ]
        return DistributedService(service, settings.distributed, bus, metrics, parts, database)
    raise ServiceUnavailable(f"{service}: its workflow is not built yet")


def _twap_service(
    settings: Settings, service: str, bus: MeteredBus, metrics: ServiceMetrics, clock: Clock
) -> DistributedService:
    """twap-scheduler (dispatches due slices, one replica) or twap-ordering (consumes the durable slice queue)."""
    database = postgres(settings)
    repo = SqlTwapRepository(database)
    journal = JobJournal(SqlLogRepository(database), clock)
    if service == "twap-scheduler":
        scheduler = TwapScheduler(repo, bus, clock, journal, settings.twap, build_waker(settings, database))
        stop = asyncio.Event()

        async def run() -> None:
            try:
                await scheduler.run(stop)
            finally:
                await scheduler.close()

        async def halt() -> None:
            stop.set()

        parts = [_schema_at_head(database), Component(service, scheduler.start, run, halt)]
        return DistributedService(service, settings.distributed, bus, metrics, parts, database)
    # Given the bus, the gateways publish order.event for what they send and fetch (the storage service records it
    # with dump_orders_to_db). Their push streams stay off: every replica would push every update of the account.
    gateways = build_gateways(settings, None, clock, bus)
    ordering = TwapOrdering(repo, gateways, bus, clock, journal, settings.twap)

    async def start() -> None:
        for gateway in gateways.values():
            await gateway.load_instruments()
        await ordering.start()

    async def stop_ordering() -> None:
        await ordering.close()
        for gateway in gateways.values():
            await gateway.close()

    parts = [_schema_at_head(database), Component(service, start, None, stop_ordering)]
    queues = (settings.twap.slice_queue,)
    return DistributedService(service, settings.distributed, bus, metrics, parts, database, queues)


def _gateway(settings: Settings, bus: MeteredBus, metrics: ServiceMetrics, clock: Clock) -> DistributedService:
    """The HTTP API: market data through the market-data service, TWAP control reaching the twap-scheduler."""
    # Only the storage service migrates (no concurrent DDL); the gateway only reads and writes TWAP rows.
    database = postgres(settings)
    twap = build_twap(settings, execute=False, shared=(clock, database, bus))
    market_data = BusMarketData(bus)
    http = HttpServer(
        create_http_app(market_data, twap.service, default_exchange=settings.exchanges.default),
        settings.http.host,
        settings.http.port,
    )

    async def serve() -> None:
        port = await http.start()
        log.info("gateway.http_listening", url=f"http://{settings.http.host}:{port}")

    parts = [
        Component("twap", twap.start, None, twap.stop),
        Component("book-mirror", None, None, market_data.close),
        Component("http", serve, None, http.stop),
    ]
    return DistributedService("gateway", settings.distributed, bus, metrics, parts, database)


def _running(name: str, simulator: MarketSimulatorService) -> Component:
    async def stop() -> None:
        simulator.stop()

    return Component(name, None, simulator.run, stop)


def _migrations(settings: Settings, database: Database) -> Component:
    async def upgrade() -> None:
        if settings.storage.migrate_on_start:
            await asyncio.to_thread(database.upgrade)

    return Component("migrations", upgrade)


def _schema_at_head(database: Database) -> Component:
    async def check() -> None:
        current, head = await asyncio.to_thread(lambda: (database.current_revision(), database.head_revision()))
        if current != head:
            raise StorageError(
                f"database at revision {current!r}, not {head!r}: start the storage service (it migrates) "
                "or run `tradewind db upgrade` first"
            )

    return Component("schema", check)
