"""The composition root: the only place that constructs adapters and services and wires them."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.adapters.exchanges.factory import build_gateway, build_market_streams
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.logging.sink import DbLogSink
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.application.venue.service import SimVenue
from tradewind.interfaces.bybit_v5.app import create_app, start_server
from tradewind.interfaces.console.board import MarketBoard
from tradewind.interfaces.health.metrics import MeteredBus, ServiceMetrics
from tradewind.interfaces.health.server import HttpSite
from tradewind.interfaces.health.service import Component, DistributedService, ServiceUnavailable
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.settings import ConfigError, Settings

log = structlog.get_logger(__name__)


@dataclass
class EmbeddedSystem:
    """Every part of the one-process system, started and stopped in dependency order."""

    settings: Settings
    clock: Clock
    bus: InMemoryBus
    database: Database
    log_sink: DbLogSink | None
    recorder: MarketDataRecorder
    simulator: MarketSimulatorService
    venue: SimVenue
    exchange_app: web.Application | None
    board: MarketBoard
    market_data: MarketDataService | None = None
    http: HttpServer | None = None
    exchange_port: int | None = None
    http_port: int | None = None
    _runner: web.AppRunner | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        if self.settings.storage.migrate_on_start:
            await asyncio.to_thread(self.database.upgrade)
        if self.log_sink is not None:
            await self.log_sink.start()
        await self.bus.start()
        await self.recorder.start()
        await self.board.attach(self.bus)
        if self.market_data is not None:
            await self.market_data.start()
        if self.http is not None:
            self.http_port = await self.http.start()
        if self.exchange_app is not None:
            exchange = self.settings.sim_exchange
            self._runner, self.exchange_port = await start_server(self.exchange_app, exchange.host, exchange.port)
        self._tasks.append(asyncio.create_task(self.simulator.run(), name="simulator"))
        log.info(
            "system.started",
            database=self.database.safe_url,
            sim_exchange_port=self.exchange_port,
            http_port=self.http_port,
            markets=[r.topic("trade") for r in self.simulator.refs],
        )

    async def stop(self) -> None:
        """Stop producing first, then flush every buffer to the database, then close."""
        self.simulator.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
        if self.http is not None:
            await self.http.stop()
        if self.market_data is not None:
            await self.market_data.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.recorder.stop()
        await self.board.detach()
        log.info(
            "system.stopped",
            steps=self.simulator.steps,
            published=self.simulator.published,
            recorded=self.recorder.stats.written,
            malformed=self.recorder.stats.malformed,
        )
        await self.bus.close()
        if self.log_sink is not None:
            await self.log_sink.stop()
        await asyncio.to_thread(self.database.dispose)

    async def log_progress_until(self, stop: asyncio.Event, every_s: float = 5.0) -> None:
        """Headless mode: a progress line every few seconds instead of the live view."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
            rows = {f"{r.category}:{r.symbol}": f"{r.best_bid}/{r.best_ask}" for r in self.board.rows.values()}
            log.info(
                "system.progress",
                steps=self.simulator.steps,
                published=self.simulator.published,
                recorded=self.recorder.stats.written,
                msg_per_s=round(self.board.message_rate()),
                books=rows,
            )


@dataclass
class SimExchangeSystem:
    """``tradewind sim-exchange``: the swarm's markets and the venue behind the Bybit V5 server, nothing else."""

    settings: Settings
    bus: InMemoryBus
    simulator: MarketSimulatorService
    venue: SimVenue
    app: web.Application
    port: int | None = None
    _runner: web.AppRunner | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        await self.bus.start()
        self._runner, self.port = await start_server(self.app, host, port)
        self._task = asyncio.create_task(self.simulator.run(), name="simulator")
        log.info(
            "sim_exchange.started",
            url=f"http://{host}:{self.port}",
            markets=[r.topic("trade") for r in self.simulator.refs],
        )
        return self.port

    async def stop(self) -> None:
        self.simulator.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.bus.close()


def build_clock(settings: Settings) -> Clock:
    return SimClock() if settings.clock == "sim" else WallClock()


def build_embedded(settings: Settings, *, console_logging: bool = True, serve_exchange: bool = True) -> EmbeddedSystem:
    """One process: in-memory bus, SQLite (or the configured database), simulator, venue, recorder."""
    clock = build_clock(settings)
    database = Database.from_settings(settings.storage)
    log_sink = None
    if settings.logging.to_database:
        log_sink = DbLogSink(
            SqlLogRepository(database),
            batch_size=settings.logging.batch_size,
            flush_interval_s=settings.logging.flush_interval_s,
            clock=clock,
        )
    # Under the live view only warnings reach the terminal; everything still reaches the database.
    level = settings.logging.level if console_logging else "warning"
    configure_logging(level, json=settings.logging.json_output, sink=log_sink)
    bus = InMemoryBus()
    simulator, venue = _market_and_venue(settings, clock, bus)
    market_data = MarketDataService(bus, clock, build_market_streams(settings.exchanges), settings.market_data)
    http = HttpServer(create_http_app(market_data), settings.http.host, settings.http.port)
    return EmbeddedSystem(
        settings=settings,
        clock=clock,
        bus=bus,
        database=database,
        log_sink=log_sink,
        recorder=MarketDataRecorder(bus, SqlMarketDataRepository(database), clock, settings.recorder),
        simulator=simulator,
        venue=venue,
        exchange_app=create_app(venue, settings.sim_exchange) if serve_exchange else None,
        board=MarketBoard(clock, settings.console.trades_shown),
        market_data=market_data,
        http=http if settings.http.enabled else None,
    )


def _market_and_venue(settings: Settings, clock: Clock, bus: Bus) -> tuple[MarketSimulatorService, SimVenue]:
    """The swarm's engines shared with the venue; each tells the other of the operations it made."""
    simulator = MarketSimulatorService(clock, bus, settings.simulator)
    venue = SimVenue(simulator.engines(), clock, settings.venue)
    venue.add_report_listener(simulator.on_report)
    simulator.add_report_listener(venue.on_engine_report)
    return simulator, venue


def build_sim_exchange(settings: Settings) -> SimExchangeSystem:
    """The Bybit V5-protocol simulator on its own (no storage, no view)."""
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    clock = build_clock(settings)
    bus = InMemoryBus()
    simulator, venue = _market_and_venue(settings, clock, bus)
    return SimExchangeSystem(settings, bus, simulator, venue, create_app(venue, settings.sim_exchange))


# The services `tradewind service NAME` runs now; the other names in SERVICE_NAMES are reserved for their workflows.
DISTRIBUTED_SERVICES = ("sim-exchange", "storage", "gateway")


def build_distributed(settings: Settings, service: str) -> DistributedService:
    """One service of the distributed mode (``tradewind service NAME``): RabbitMQ bus, PostgreSQL, probes, metrics."""
    if settings.mode != "distributed":
        raise ConfigError(f"`tradewind service` needs mode: distributed (got {settings.mode!r}; TRADEWIND_MODE)")
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    metrics = ServiceMetrics(service)
    bus = MeteredBus(RabbitMqBus(settings.distributed.bus), metrics)
    clock = build_clock(settings)
    if service == "sim-exchange":
        simulator, venue = _market_and_venue(settings, clock, bus)
        venue.add_report_listener(lambda _instrument, report: metrics.orders.labels(report.status.value).inc())
        site = HttpSite(
            create_app(venue, settings.sim_exchange), settings.sim_exchange.host, settings.sim_exchange.port
        )
        parts = [Component("bybit-v5", site.start, None, site.stop), _running("simulator", simulator)]
        return DistributedService(service, settings.distributed, bus, metrics, parts)
    if service == "storage":
        database = _postgres(settings)
        queue = settings.recorder.queue or settings.distributed.storage_queue
        recording = settings.recorder.model_copy(update={"queue": queue})
        recorder = MarketDataRecorder(bus, SqlMarketDataRepository(database), clock, recording)
        parts = [_migrations(settings, database), Component("recorder", recorder.start, None, recorder.stop)]
        return DistributedService(service, settings.distributed, bus, metrics, parts, database, (queue,))
    if service == "gateway":
        # Hook: mount the HTTP API (issue 4, interfaces/http/) here once its app factory lands; until then the
        # gateway serves its probes and metrics only. Only the storage service migrates (no concurrent DDL).
        return DistributedService(service, settings.distributed, bus, metrics, [], _postgres(settings))
    if service == "market-data":
        # Hook: the MarketDataService collector (issue 4, application/marketdata/) is wired here once it lands.
        raise ServiceUnavailable("market-data: the exchange collector is not built yet; sim-exchange publishes md.*")
    raise ServiceUnavailable(f"{service}: its workflow is not built yet")


def _running(name: str, simulator: MarketSimulatorService) -> Component:
    async def stop() -> None:
        simulator.stop()

    return Component(name, None, simulator.run, stop)


def _migrations(settings: Settings, database: Database) -> Component:
    async def upgrade() -> None:
        if settings.storage.migrate_on_start:
            await asyncio.to_thread(database.upgrade)

    return Component("migrations", upgrade)


def _postgres(settings: Settings) -> Database:
    database = Database.from_settings(settings.storage)
    if database.backend != "postgresql":
        raise ConfigError(f"distributed mode stores to PostgreSQL; storage.url is {database.safe_url!r}")
    return database


@dataclass
class TwapSystem:
    """TWAP control plus (when ``execute``) its scheduling and ordering services, on one bus."""

    database: Database
    bus: Bus
    gateways: dict[str, ExchangeGateway]
    service: TwapService
    scheduler: TwapScheduler
    ordering: TwapOrdering
    execute: bool
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.database.upgrade)
        await self.bus.start()
        for gateway in self.gateways.values():
            await gateway.load_instruments()
        if self.execute:
            await self.ordering.start()
            await self.scheduler.start()
            self._task = asyncio.create_task(self.scheduler.run(self._stop), name="twap-scheduler")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await self.ordering.close()
        await self.scheduler.close()
        await self.bus.close()
        for gateway in self.gateways.values():
            await gateway.close()
        await asyncio.to_thread(self.database.dispose)


def build_twap(
    settings: Settings, *, execute: bool, venue: SimVenue | None = None, bus: Bus | None = None
) -> TwapSystem:
    """TWAP over the configured database and exchanges (``sim`` entries only when a venue is given)."""
    clock = build_clock(settings)
    database = Database.from_settings(settings.storage)
    gateways = {
        name: build_gateway(name, entry, venue, clock)
        for name, entry in settings.exchanges.entries.items()
        if entry.type != "sim" or venue is not None
    }
    the_bus: Bus = bus or InMemoryBus()
    repo = SqlTwapRepository(database)
    journal = JobJournal(SqlLogRepository(database), clock)
    return TwapSystem(
        database=database,
        bus=the_bus,
        gateways=gateways,
        service=TwapService(repo, gateways, the_bus, clock, journal, SqlMarketDataRepository(database)),
        scheduler=TwapScheduler(repo, the_bus, clock, journal, settings.twap),
        ordering=TwapOrdering(repo, gateways, the_bus, clock, journal, settings.twap),
        execute=execute,
    )
