"""The HTTP API's workflow: one FastAPI app over the services of the other workflows (the gateway service)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import structlog

from tradewind.adapters.bus.queue_depth import QueueDepthProbe
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.application.lifecycle import Component
from tradewind.application.ports.repositories import LogRepository, MarketDataRepository
from tradewind.application.ports.system import SystemStatus
from tradewind.application.spread.remote import BusSpreadView
from tradewind.bootstrap.commands import command_gate, commands_over, trade_client
from tradewind.bootstrap.marketdata import mirror
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.trading import trader
from tradewind.bootstrap.twap import twap
from tradewind.interfaces.health.status import RegistryStatus
from tradewind.interfaces.http import ApiAccess, HttpServer, create_http_app
from tradewind.interfaces.http.settings import HttpSettings
from tradewind.interfaces.token_file import TokenError
from tradewind.settings import ConfigError

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """The bearer token the API takes; ``generated`` when this process made it up (the user must be shown it)."""

    value: str | None
    generated: bool = False

    def __repr__(self) -> str:  # never the value: this object may reach a log line or a traceback
        return f"ApiToken(set={self.value is not None}, generated={self.generated})"


@dataclass(frozen=True, slots=True)
class HttpParts:
    server: HttpServer
    component: Component
    token: ApiToken


def api_token(settings: HttpSettings, *, generate: bool) -> ApiToken:
    """``http.token`` or ``http.token_file``; else a fresh random one when ``generate``, else none (changes refused)."""
    try:
        configured = settings.configured_token()
    except TokenError as exc:
        raise ConfigError(str(exc)) from None
    if configured is not None:
        return ApiToken(configured)
    return ApiToken(secrets.token_urlsafe(32), generated=True) if generate else ApiToken(None)


def http_api(
    platform: Platform,
    commands: CommandService,
    gate: CommandGate,
    logs: LogRepository | None = None,
    *,
    market: MarketDataRepository | None = None,
    system: SystemStatus | None = None,
) -> HttpParts:
    """The HTTP API on ``http.host:http.port``; its port is known once started (0 picks a free one). ``logs``: the
    logs table the dashboard's System panel reads (``/logs``), ``system`` its services and queues (``/system``),
    ``market`` the stored candles of its price chart (``/candles``).

    Without a configured token, one process (``tradewind run``) generates one; a distributed gateway refuses every
    request that needs it, and says so at start.
    """
    settings = platform.settings
    token = api_token(settings.http, generate=not platform.distributed)
    users = settings.commands.directory()
    access = ApiAccess.from_settings(settings.http, token.value, users.tokens)
    # quit is refused over HTTP: the gate keeps it for the terminal. The dashboard's live stream reads the bus, its
    # System panel the logs table.
    app = create_http_app(commands, access, gate, platform.bus, logs, market=market, system=system)
    server = HttpServer(app, settings.http.host, settings.http.port)

    async def serve() -> None:
        port = await server.start()
        log.info("gateway.http_listening", url=f"http://{settings.http.host}:{port}", reads_open=access.reads_open)
        if token.value is None:
            log.warning(
                "gateway.no_token",
                detail="no http.token configured: every changing request (and every read, beyond loopback without "
                "http.open_reads) is refused with 403; set TRADEWIND_HTTP__TOKEN or http.token_file",
            )

    return HttpParts(server, Component("http", serve, None, server.stop), token)


def gateway_service(platform: Platform) -> ServiceParts:
    """``gateway``: the HTTP API, market data through the market-data service, TWAP control reaching the scheduler."""
    control = twap(platform, execute=False)  # only reads and writes TWAP rows: the storage service migrates
    market_data, book_mirror = mirror(platform)
    spreads = BusSpreadView(platform.bus) if platform.settings.spread.enabled else None  # the trading engine's
    # Positions and deals read from the deals table (the trader service writes it), marked at the exchanges' prices.
    positions = trader(platform, control.gateways).readonly()
    # Trade commands go to the trade desk of the trader service, as cmd.trade.<exchange> requests.
    commands = commands_over(
        platform.settings, control.service, market_data, spreads, positions.service, trades=trade_client(platform)
    )
    from tradewind.bootstrap import registry  # the registry names this builder: imported when it runs

    settings = platform.settings
    # The System panel reads the queues' depths from the broker itself: a stopped consumer's queue still shows.
    probe = QueueDepthProbe(settings.distributed.bus)
    status = RegistryStatus(
        registry.service_urls(settings), registry.consumed_queues(settings), probe.depth,
        settings.distributed.probe_timeout_s,
    )  # fmt: skip
    gate = command_gate(platform, commands)
    database = platform.database
    http = http_api(
        platform, commands, gate, SqlLogRepository(database), market=SqlMarketDataRepository(database), system=status
    )
    probe_component = Component("system-queue-probe", probe.start, None, probe.close)
    return ServiceParts([*control.components, book_mirror, probe_component, http.component])
