"""The one-process compositions: ``tradewind run`` (every workflow) and ``tradewind sim-exchange`` (the venue alone)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import ClockDriver, SimClock
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.lifecycle import Component, Runner
from tradewind.application.marketdata.recorder import MarketDataRecorder
from tradewind.application.simulator.service import MarketSimulatorService
from tradewind.application.system import RunnerStatus
from tradewind.bootstrap.commands import command_gate, commands_over, trade_client
from tradewind.bootstrap.common import build_clock
from tradewind.bootstrap.gateway import ApiToken, http_api
from tradewind.bootstrap.lake import lake_components
from tradewind.bootstrap.logs import console_logs, database_logs
from tradewind.bootstrap.marketdata import collector
from tradewind.bootstrap.notices import notice_queue
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.plugins import plugin_front_ends
from tradewind.bootstrap.signals import ProducerParts, chart_candles, producer
from tradewind.bootstrap.simulator import (
    SimExchangeParts,
    exchange_site,
    perp_clock,
    running_market,
    sim_exchange,
    simulated_market,
    site_component,
)
from tradewind.bootstrap.spread import SpreadParts, spread
from tradewind.bootstrap.storage import migrations, recorder, retention
from tradewind.bootstrap.telegram import telegram_bot
from tradewind.bootstrap.trading import TradeDeskParts, TraderParts, trade_desk, trader
from tradewind.bootstrap.twap import twap
from tradewind.interfaces.console.board import MarketBoard
from tradewind.interfaces.health.server import HttpSite
from tradewind.interfaces.http import HttpServer
from tradewind.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class EmbeddedSystem:
    """Every workflow's components over the in-memory bus, run by one Runner; what the CLI and tests look at."""

    platform: Platform
    runner: Runner
    simulator: MarketSimulatorService
    recorder: MarketDataRecorder
    board: MarketBoard
    exchange: SimExchangeParts
    http: HttpServer | None
    api_token: ApiToken  # the HTTP API's bearer token (generated at start unless configured)
    commands: CommandService
    gate: CommandGate  # what the text front ends (terminal, Telegram, POST /commands) submit to
    producer: ProducerParts | None = None
    spread: SpreadParts | None = None  # the spread workflow, unless ``spread.enabled`` is off
    trader: TraderParts | None = None
    trades: TradeDeskParts | None = None  # the trade objects of buy/sell/close, unless ``trades.enabled`` is off

    @property
    def shutdown(self) -> asyncio.Event:
        """Set by ``quit`` (confirmed, from the terminal or Telegram): the run loop then stops every service."""
        return self.platform.shutdown

    @property
    def exchange_port(self) -> int | None:
        return None if self.exchange.server is None else self.exchange.server.port

    @property
    def http_port(self) -> int | None:
        return None if self.http is None else self.http.port

    @property
    def http_url(self) -> str | None:
        """The HTTP API's base URL once started (the configured host, the bound port)."""
        port = self.http_port
        return None if port is None else f"http://{self.platform.settings.http.host}:{port}"

    async def start(self) -> None:
        await self.runner.start()
        log.info(
            "system.started",
            database=self.platform.database.safe_url,
            sim_exchange_port=self.exchange_port,
            http_port=self.http_port,
            markets=[r.topic("trade") for r in self.simulator.refs],
        )

    async def stop(self) -> None:
        """Stop producing first, then flush every buffer to the database, then close (the runner's reverse order)."""
        await self.runner.stop()

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


def build_embedded(settings: Settings, *, console_logging: bool = True, serve_exchange: bool = True) -> EmbeddedSystem:
    """One process: the union of the workflows' components over the in-memory bus and the configured database."""
    bus = InMemoryBus()
    platform = Platform(settings, build_clock(settings), bus, distributed=False)
    # Under the live view only warnings reach the terminal; everything still reaches the database.
    logs = database_logs(platform, level=None if console_logging else "warning")

    exchange = sim_exchange(platform, serve=serve_exchange)  # first: the workflows below may trade on it
    the_recorder, recording = recorder(platform)
    board = MarketBoard(platform.clock, settings.console.trades_shown)
    market_data, collecting = collector(platform)
    # TWAP jobs run here against the in-process venue; jobs created by another process are picked up from the DB.
    trading = twap(platform, execute=True)
    spreads = spread(platform, trading.gateways)  # simulated mode by default: no exchange order
    spread_view = None if spreads is None else spreads.trading
    positions = trader(platform, trading.gateways) if settings.trader.enabled else None
    desk = trade_desk(platform, trading.gateways) if settings.trades.enabled else None
    commands = commands_over(
        settings,
        trading.service,
        market_data,
        spread_view,
        None if positions is None else positions.service,
        trades=trade_client(platform),
    )
    gate = command_gate(platform, commands)
    log_table = SqlLogRepository(platform.database)  # the dashboard's recent logs
    status = RunnerStatus(bus.backlog)  # the System panel: the runner below is set on it once built
    stored = SqlMarketDataRepository(platform.database)  # the candles of the price chart
    http = None
    if settings.http.enabled:
        http = http_api(platform, commands, gate, log_table, market=stored, system=status)
    bot = telegram_bot(platform, gate) if settings.telegram.enabled else None
    plugged = plugin_front_ends(platform, gate)
    running_strategies = any(s.enabled for s in settings.strategies)
    signals = producer(platform) if settings.producer.enabled and running_strategies else None
    simulator = simulated_market(platform).simulator
    candles = chart_candles(platform, signals) if settings.http.enabled else []
    components = [
        *_clock_driver(platform),  # first: it keeps time moving while the others stop
        platform.database_component(),
        migrations(platform),
        *([] if logs is None else [logs.component()]),
        platform.bus_component(),
        *notice_queue(platform, bot_here=bot is not None),  # before any publisher: the bot starts late
        _stop_report(simulator, the_recorder),
        recording,
        *retention(platform),
        *lake_components(platform),  # off unless lake.enabled
        Component("board", lambda: board.attach(platform.bus), None, board.detach),
        *exchange.serving,  # the market itself starts last and stops first
        *collecting,
        *trading.components,
        *([] if spreads is None else spreads.components),
        *([] if positions is None else positions.components),
        *([] if desk is None else desk.components),
        *([] if http is None else [http.component]),
        *([] if signals is None else signals.components),
        *candles,
        *([] if bot is None else [bot]),
        *plugged,
        exchange.market,
        *exchange.running_perps,
    ]
    runner = Runner("embedded", components, stop_timeout_s=5)
    status.runner = runner
    return EmbeddedSystem(
        platform,
        runner,
        simulator,
        the_recorder,
        board,
        exchange,
        None if http is None else http.server,
        ApiToken(None) if http is None else http.token,
        commands,
        gate,
        signals,
        spreads,
        positions,
        desk,
    )


def _clock_driver(platform: Platform) -> list[Component]:
    """With ``clock: sim`` and ``sim_speed``, the component that moves the simulated clock (nothing else does)."""
    speed = platform.settings.sim_speed
    if not isinstance(platform.clock, SimClock) or speed is None:
        return []
    driver = ClockDriver(platform.clock, speed)
    return [Component("sim-clock", None, driver.run, driver.stop)]


def _stop_report(simulator: MarketSimulatorService, recorder: MarketDataRecorder) -> Component:
    """Says what was produced and recorded once the recorder has flushed, while logs still reach the database."""

    async def report() -> None:
        log.info(
            "system.stopped",
            steps=simulator.steps,
            published=simulator.published,
            recorded=recorder.stats.written,
            malformed=recorder.stats.malformed,
        )

    return Component("stop-report", None, None, report)


@dataclass
class SimExchangeSystem:
    """``tradewind sim-exchange``: the swarm's markets and the venue behind the server, nothing else."""

    runner: Runner
    server: HttpSite
    simulator: MarketSimulatorService

    async def start(self) -> int:
        await self.runner.start()
        markets = [r.topic("trade") for r in self.simulator.refs]
        log.info("sim_exchange.started", url=f"http://{self.server.host}:{self.server.port}", markets=markets)
        return self.server.port

    async def stop(self) -> None:
        await self.runner.stop()


def build_sim_exchange(settings: Settings, *, host: str | None = None, port: int | None = None) -> SimExchangeSystem:
    """The Bybit V5 / Binance-protocol simulator on its own (no storage, no view)."""
    platform = Platform(settings, build_clock(settings), InMemoryBus(), distributed=False)
    console_logs(platform)  # no database here
    market = simulated_market(platform)
    server = exchange_site(platform, host, port)
    components = [
        *_clock_driver(platform),  # first: it keeps time moving while the others stop
        platform.bus_component(),
        site_component("sim-exchange", server),
        running_market(market.simulator),
        perp_clock(platform),
    ]
    return SimExchangeSystem(Runner("sim-exchange", components), server, market.simulator)
