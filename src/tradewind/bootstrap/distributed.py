"""The distributed compositions: one service per process over RabbitMQ and PostgreSQL (``tradewind service NAME``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tradewind.adapters.bus.metered import MeteredBus
from tradewind.adapters.bus.queue_depth import QueueDepthProbe
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.metrics import ServiceMetrics
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.lifecycle import Component
from tradewind.application.ports.bus import BusError
from tradewind.bootstrap import registry
from tradewind.bootstrap.common import build_clock
from tradewind.bootstrap.logs import console_logs, database_logs
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.storage import migrations
from tradewind.interfaces.health.service import DistributedService
from tradewind.settings import ConfigError, Settings

ReadyCheck = Callable[[], Awaitable[None]]


def build_distributed(settings: Settings, service: str) -> DistributedService:
    """One service of the distributed mode, as its registry entry says: RabbitMQ bus, PostgreSQL, probes, metrics."""
    if settings.mode != "distributed":
        raise ConfigError(f"`tradewind service` needs mode: distributed (got {settings.mode!r}; TRADEWIND_MODE)")
    entry = registry.entry(service)
    build = registry.builder(service)
    port = registry.health_port(settings, service)
    metrics = ServiceMetrics(service)
    rabbit = RabbitMqBus(settings.distributed.bus)
    bus = MeteredBus(rabbit, metrics)
    platform = Platform(settings, build_clock(settings), bus, distributed=True, metrics=metrics)
    console_logs(platform)
    parts = build(platform)
    # A service that uses the database logs to it too; one that does not has no database to open for it.
    logs = None if platform.opened_database is None else database_logs(platform)
    probe = QueueDepthProbe(settings.distributed.bus)
    components = [
        platform.database_component(),
        Component("queue-probe", probe.start, None, probe.close),
        platform.bus_component(),
        *([migrations(platform)] if entry.migrates else []),
        *([] if logs is None else [logs.final_flush()]),
        *parts.components,
        *([] if logs is None else [logs.writer()]),  # last: the schema checks above have passed
    ]
    readiness = {"broker": _broker_ready(rabbit, probe, parts.queues), **parts.readiness}
    database = platform.opened_database
    if database is not None:
        readiness["database"] = _database_ready(database)

    async def refresh_lag() -> None:
        for queue in parts.queues:
            depth = await probe.depth(queue)
            if depth is not None:
                metrics.set_queue_lag(queue, depth)

    distributed = settings.distributed
    return DistributedService(
        service,
        components,
        metrics,
        distributed.health_host,
        port,
        readiness,
        refresh_lag,
        distributed.probe_timeout_s,
        shutdown=platform.shutdown,
    )


def _broker_ready(bus: RabbitMqBus, probe: QueueDepthProbe, queues: tuple[str, ...]) -> ReadyCheck:
    """The service's own connection is up and the broker answers now; the queues it consumes exist."""

    async def check() -> None:
        bus.check()
        await probe.check()
        for queue in queues:
            if await probe.depth(queue) is None:
                raise BusError(f"queue {queue!r} does not exist")

    return check


def _database_ready(database: Database) -> ReadyCheck:
    """The database answers ``SELECT 1`` now (the probe's timeout bounds the wait)."""

    async def check() -> None:
        await asyncio.to_thread(database.ping)

    return check
