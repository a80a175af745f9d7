"""The one-process compositions: ``tradewind run`` (everything) and ``tradewind sim-exchange`` (the venue alone)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.exchanges.factory import build_market_streams
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.logging.sink import DbLogSink
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.order_repository import SqlOrderRepository
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.subscription_repository import SqlSubscriptionRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.ports.clock import Clock
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.venue.service import SimVenue
from tradewind.bootstrap.common import build_clock, market_and_venue, spill_store
from tradewind.bootstrap.twap import TwapSystem, build_twap
from tradewind.interfaces.bybit_v5.app import start_server
from tradewind.interfaces.console.board import MarketBoard
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.interfaces.sim_exchange import create_sim_exchange_app
from tradewind.settings import Settings

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
    twap: TwapSystem | None = None
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
        if self.exchange_app is not None:  # first: entries of exchanges: may point at this very server
            exchange = self.settings.sim_exchange
            self._runner, self.exchange_port = await start_server(self.exchange_app, exchange.host, exchange.port)
        if self.market_data is not None:
            await self.market_data.start()
        if self.twap is not None:
            await self.twap.start()
        if self.http is not None:
            self.http_port = await self.http.start()
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
        if self.twap is not None:
            await self.twap.stop()
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
    simulator, venue = market_and_venue(settings, clock, bus)
    streams = build_market_streams(settings.exchanges, venue, clock)
    market_data = MarketDataService(
        bus, clock, streams, settings.market_data, store=SqlSubscriptionRepository(database)
    )
    # TWAP jobs run here against the in-process venue; jobs created by another process are picked up from the DB.
    twap = build_twap(settings, execute=True, venue=venue, shared=(clock, database, bus))
    http = HttpServer(
        create_http_app(market_data, twap.service, default_exchange=settings.exchanges.default),
        settings.http.host,
        settings.http.port,
    )
    return EmbeddedSystem(
        settings=settings,
        clock=clock,
        bus=bus,
        database=database,
        log_sink=log_sink,
        recorder=MarketDataRecorder(
            bus,
            SqlMarketDataRepository(database),
            clock,
            settings.recorder,
            SqlOrderRepository(database),
            spill=spill_store(settings.recorder),
        ),
        simulator=simulator,
        venue=venue,
        exchange_app=create_sim_exchange_app(venue, settings.sim_exchange) if serve_exchange else None,
        board=MarketBoard(clock, settings.console.trades_shown),
        twap=twap,
        market_data=market_data,
        http=http if settings.http.enabled else None,
    )


def build_sim_exchange(settings: Settings) -> SimExchangeSystem:
    """The Bybit V5-protocol simulator on its own (no storage, no view)."""
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    clock = build_clock(settings)
    bus = InMemoryBus()
    simulator, venue = market_and_venue(settings, clock, bus)
    return SimExchangeSystem(settings, bus, simulator, venue, create_sim_exchange_app(venue, settings.sim_exchange))
