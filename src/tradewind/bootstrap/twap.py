"""TWAP's workflow: control (create, pause, report...), scheduling of due slices and the ordering of each slice."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.adapters.logging.config import configure_logging
from tradewind.adapters.scheduling.doorbell import UnixDoorbell, doorbell_path
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.commands import CommandService
from tradewind.application.lifecycle import Component, Runner
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.twap import Doorbell, Waker
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.bootstrap.commands import commands_over
from tradewind.bootstrap.common import SUPERVISED, build_clock
from tradewind.bootstrap.exchanges import ExchangeConnections, as_ports, publishing_gateways
from tradewind.bootstrap.notices import notice_queue
from tradewind.bootstrap.platform import Platform, ServiceParts
from tradewind.bootstrap.storage import migrations, schema_at_head
from tradewind.settings import Settings


@dataclass(frozen=True, slots=True)
class TwapParts:
    """The control service other workflows call, the gateways it trades through, and what runs."""

    service: TwapService
    gateways: dict[str, PublishingGateway]
    components: list[Component]


def _journal(platform: Platform) -> JobJournal:
    return JobJournal(SqlLogRepository(platform.database), platform.clock)


def _waker(platform: Platform) -> Waker | None:
    """APScheduler's persisted wake-ups in live runs; a simulated clock drives the scheduler itself."""
    settings = platform.settings
    if settings.clock != "wall":
        return None
    from tradewind.adapters.scheduling.apscheduler_waker import ApschedulerWaker  # only the process that schedules

    return ApschedulerWaker(platform.database, poll_s=settings.twap.wake_poll_s)


def _doorbell(platform: Platform) -> Doorbell | None:
    """Lets a ``twap create`` in another process wake this process's scheduler at once, on the same database.

    Live runs of one machine only: in distributed mode RabbitMQ carries the job's command to the scheduler.
    """
    if platform.distributed or platform.settings.clock != "wall":
        return None
    return UnixDoorbell(doorbell_path(platform.database))


def twap(platform: Platform, *, execute: bool, exchanges: bool = True) -> TwapParts:
    """Control, and with ``execute`` the scheduler and the ordering too (in one process, following order streams).

    Without ``exchanges`` no gateway is built or connected: the control service reads, reports and changes jobs in
    the database alone (it refuses ``create``), so neither API keys nor a reachable exchange are needed.
    """
    gateways = publishing_gateways(platform) if exchanges or execute else {}
    doorbell = _doorbell(platform)
    service = control_service(platform, gateways, doorbell)
    components = [ExchangeConnections(platform, gateways, follow_orders=execute).component()] if gateways else []
    if execute:
        components += [ordering(platform, gateways), scheduler(platform, doorbell)]
    return TwapParts(service, gateways, components)


def control_service(
    platform: Platform, gateways: dict[str, PublishingGateway], doorbell: Doorbell | None = None
) -> TwapService:
    database = platform.database
    return TwapService(
        SqlTwapRepository(database),
        as_ports(gateways),
        platform.bus,
        platform.clock,
        _journal(platform),
        SqlMarketDataRepository(database),
        doorbell,
    )


def scheduler(platform: Platform, doorbell: Doorbell | None = None) -> Component:
    """Dispatches due slices from the stored job state on the clock (one replica)."""
    the_scheduler = TwapScheduler(
        SqlTwapRepository(platform.database),
        platform.bus,
        platform.clock,
        _journal(platform),
        platform.settings.twap,
        _waker(platform),
        doorbell,
    )
    stop = asyncio.Event()
    running = False

    async def run() -> None:
        # Restarted by the runner after a crash (a database outage): the subscriptions and the waker stay open.
        nonlocal running
        running = True
        try:
            await the_scheduler.run(stop)
        finally:
            running = False
            if stop.is_set():
                await the_scheduler.close()

    async def halt() -> None:
        stop.set()
        if not running:  # crashed and waiting for its restart: nothing else will close it
            await the_scheduler.close()

    return Component("twap-scheduler", the_scheduler.start, run, halt, restart=SUPERVISED)


def ordering(platform: Platform, gateways: dict[str, PublishingGateway]) -> Component:
    """Consumes the ``twap.slice`` work queue and sends each slice, reconciling by client order id first."""
    the_ordering = TwapOrdering(
        SqlTwapRepository(platform.database),
        as_ports(gateways),
        platform.bus,
        platform.clock,
        _journal(platform),
        platform.settings.twap,
    )
    return Component("twap-ordering", the_ordering.start, None, the_ordering.close)


def twap_scheduler_service(platform: Platform) -> ServiceParts:
    """``twap-scheduler``: dispatches due slices (one replica)."""
    return ServiceParts([schema_at_head(platform), scheduler(platform)])


def twap_ordering_service(platform: Platform) -> ServiceParts:
    """``twap-ordering``: consumes the durable slice queue; replicas compete for slices.

    Its gateways publish ``order.event`` for what they send and fetch, but do not follow their push streams: every
    replica would push every update of the account. An exchange that does not answer fails the start (and the
    orchestrator restarts the service).
    """
    gateways = publishing_gateways(platform)
    connections = ExchangeConnections(platform, gateways, follow_orders=False, in_background=False)
    components = [
        schema_at_head(platform), connections.component(), *notice_queue(platform), ordering(platform, gateways)
    ]  # fmt: skip
    return ServiceParts(components, (platform.settings.twap.slice_queue,))


@dataclass
class TwapApp:
    """TWAP on its own (the ``tradewind twap`` verbs): control, and with ``execute`` the whole workflow."""

    service: TwapService
    commands: CommandService  # what the verbs call: over ``service`` alone (no market data)
    gateways: dict[str, PublishingGateway]
    runner: Runner

    async def start(self) -> None:
        await self.runner.start()

    async def stop(self) -> None:
        await self.runner.stop()


def build_twap(settings: Settings, *, execute: bool, exchanges: bool = True) -> TwapApp:
    """TWAP over the configured database and exchanges, outside any running system; logs go to stderr.

    The bus is RabbitMQ in distributed mode (so ``twap create`` reaches the twap-scheduler service), else in memory.
    Only the storage service migrates a distributed database; on the embedded one this process is its owner.
    ``exchanges=False`` (list, show, report, watch, pause, resume, cancel, archive): the database alone.
    """
    configure_logging(settings.logging.level, json=settings.logging.json_output)
    distributed = settings.mode == "distributed"
    bus: Bus
    if distributed:
        from tradewind.adapters.bus.rabbitmq import RabbitMqBus  # aio_pika loads only where it is used

        bus = RabbitMqBus(settings.distributed.bus)
    else:
        bus = InMemoryBus()
    platform = Platform(settings, build_clock(settings), bus, distributed)
    parts = twap(platform, execute=execute, exchanges=exchanges)
    schema = schema_at_head(platform) if distributed else migrations(platform)
    notices = notice_queue(platform) if execute else []  # distributed `twap run` publishes fills (twap.event)
    components = [platform.database_component(), schema, platform.bus_component(), *notices, *parts.components]
    commands = commands_over(settings, parts.service)
    return TwapApp(parts.service, commands, parts.gateways, Runner("twap", components))
