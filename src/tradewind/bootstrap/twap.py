"""TWAP's composition: control, scheduling and ordering over one bus, database and set of gateways."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import structlog

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.application.venue.service import SimVenue
from tradewind.bootstrap.common import build_clock, build_doorbell, build_gateways, build_waker
from tradewind.settings import Settings

log = structlog.get_logger(__name__)
_RETRY_MIN_S = 1.0  # first pause before asking an unreachable exchange again, doubling up to _RETRY_MAX_S
_RETRY_MAX_S = 60.0


@dataclass
class TwapSystem:
    """TWAP control plus (when ``execute``) its scheduling and ordering services, on one bus."""

    database: Database
    bus: Bus
    gateways: dict[str, ExchangeGateway]
    service: TwapService
    scheduler: TwapScheduler
    ordering: TwapOrdering
    clock: Clock
    execute: bool
    shared: bool = False  # the bus and database belong to an enclosing system, which starts and closes them
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _retries: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        if not self.shared:
            await asyncio.to_thread(self.database.upgrade)
            await self.bus.start()
        for gateway in self.gateways.values():
            try:
                await self._connect(gateway)
            except ExchangeError as exc:  # one unreachable exchange must not keep the others (or the system) down
                log.warning("twap.exchange_unreachable", exchange=gateway.name, error=str(exc), retry="in background")
                self._retries.append(asyncio.create_task(self._keep_connecting(gateway), name=f"load {gateway.name}"))
        if self.execute:
            await self.ordering.start()
            await self.scheduler.start()
            self._task = asyncio.create_task(self.scheduler.run(self._stop), name="twap-scheduler")

    async def _connect(self, gateway: ExchangeGateway) -> None:
        await gateway.load_instruments()
        if self.execute and isinstance(gateway, PublishingGateway):
            await gateway.start()  # the process that trades follows its accounts' order streams

    async def _keep_connecting(self, gateway: ExchangeGateway) -> None:
        """Load the gateway's instruments with a growing pause until its exchange answers."""
        for attempt in itertools.count():
            await self.clock.sleep(min(_RETRY_MAX_S, _RETRY_MIN_S * 2**attempt))
            try:
                await self._connect(gateway)
            except ExchangeError as exc:
                log.warning("twap.exchange_unreachable", exchange=gateway.name, error=str(exc), attempt=attempt + 1)
                continue
            log.info("twap.exchange_connected", exchange=gateway.name, attempts=attempt + 2)
            return

    async def stop(self) -> None:
        for retry in self._retries:
            retry.cancel()
        self._stop.set()
        if self._task is not None:
            await self._task
        await self.ordering.close()
        await self.scheduler.close()
        for gateway in self.gateways.values():
            await gateway.close()
        if not self.shared:
            await self.bus.close()
            await asyncio.to_thread(self.database.dispose)


def build_twap(
    settings: Settings,
    *,
    execute: bool,
    venue: SimVenue | None = None,
    shared: tuple[Clock, Database, Bus] | None = None,
) -> TwapSystem:
    """TWAP over the configured database and exchanges (``sim`` entries only when a venue is given).

    ``shared`` runs it inside another system, on that system's clock, database and bus. Alone, the bus is
    RabbitMQ in distributed mode (so ``twap create`` reaches the twap-scheduler service), else in memory.
    """
    if shared is not None:
        clock, database, the_bus = shared
    else:
        clock, database = build_clock(settings), Database.from_settings(settings.storage)
        the_bus = RabbitMqBus(settings.distributed.bus) if settings.mode == "distributed" else InMemoryBus()
    gateways = build_gateways(settings, venue, clock, the_bus)
    repo = SqlTwapRepository(database)
    journal = JobJournal(SqlLogRepository(database), clock)
    doorbell = build_doorbell(settings, database)
    return TwapSystem(
        database=database,
        bus=the_bus,
        gateways=gateways,
        service=TwapService(repo, gateways, the_bus, clock, journal, SqlMarketDataRepository(database), doorbell),
        scheduler=TwapScheduler(
            repo, the_bus, clock, journal, settings.twap, build_waker(settings, database), doorbell
        ),
        ordering=TwapOrdering(repo, gateways, the_bus, clock, journal, settings.twap),
        clock=clock,
        execute=execute,
        shared=shared is not None,
    )
