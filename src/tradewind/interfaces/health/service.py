"""One service process of the distributed mode: its components run by the shared Runner, probed and measured."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import text

from tradewind.adapters.bus.metered import MeteredBus
from tradewind.adapters.bus.queue_depth import QueueDepthProbe
from tradewind.adapters.metrics import ServiceMetrics
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.lifecycle import Component, ComponentCrashed, Runner
from tradewind.application.ports.bus import BusError
from tradewind.interfaces.health.server import HealthServer
from tradewind.interfaces.health.settings import DistributedSettings

log = structlog.get_logger(__name__)


@dataclass
class DistributedService:
    """What ``tradewind service NAME`` runs; ``queues`` are the bus queues it consumes (their depth is its lag)."""

    name: str
    settings: DistributedSettings
    bus: MeteredBus
    metrics: ServiceMetrics
    components: Sequence[Component]
    health_port: int
    database: Database | None = None
    queues: tuple[str, ...] = ()
    health: HealthServer | None = None
    _probe: QueueDepthProbe | None = None
    _runner: Runner | None = None

    async def start(self, health_port: int | None = None) -> int:
        """Connect, start every component, then serve the probes; returns the health port. Undoes itself on failure."""
        self._probe = QueueDepthProbe(self.settings.bus)
        self._runner = Runner(self.name, [self._bus_component(), *self.components])
        self.health = HealthServer(
            self.metrics,
            liveness={"loop": lambda: None, **self._runner.checks()},
            readiness=self._readiness(),
            refresh=self._refresh_lag,
            timeout_s=self.settings.probe_timeout_s,
        )
        try:
            await self._probe.start()
            await self._runner.start()
            port = self.health_port if health_port is None else health_port
            bound = await self.health.start(self.settings.health_host, port)
        except BaseException:
            await self.stop()
            raise
        self.metrics.up.labels(self.name).set(1)
        log.info("service.ready", service=self.name, health_url=f"http://{self.settings.health_host}:{bound}")
        return bound

    def _bus_component(self) -> Component:
        return Component("bus", self.bus.start, None, self.bus.close)

    def _readiness(self) -> dict[str, Callable[[], Awaitable[None]]]:
        checks: dict[str, Callable[[], Awaitable[None]]] = {"broker": self._broker_ready}
        if self.database is not None:
            checks["database"] = self._database_ready
        return checks

    async def _broker_ready(self) -> None:
        if self._probe is None or not self._probe.connected:
            raise BusError("not connected to RabbitMQ")
        for queue in self.queues:
            if await self._probe.depth(queue) is None:
                raise BusError(f"queue {queue!r} does not exist")

    async def _database_ready(self) -> None:
        database = self.database
        if database is None:  # pragma: no cover - only registered with a database
            return

        def select_one() -> None:
            with database.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        await asyncio.to_thread(select_one)

    async def _refresh_lag(self) -> None:
        if self._probe is None:
            return
        for queue in self.queues:
            depth = await self._probe.depth(queue)
            if depth is not None:
                self.metrics.queue_lag.labels(queue).set(depth)

    async def run_until(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` is set; raise ComponentCrashed if a background component ends first."""
        if self._runner is None:
            raise RuntimeError(f"{self.name} was not started")
        try:
            await self._runner.run_until(stop)
        except ComponentCrashed:
            self.metrics.errors.labels("crash").inc()
            raise

    async def stop(self) -> None:
        """Stop the components in reverse order (the bus last), then the probes and the database; idempotent."""
        self.metrics.up.labels(self.name).set(0)
        if self._runner is not None:
            await self._runner.stop()
            if self._runner.stop_failures:
                self.metrics.errors.labels("stop").inc(self._runner.stop_failures)
                self._runner.stop_failures = 0
        if self._probe is not None:
            await self._probe.close()
        if self.health is not None:
            await self.health.stop()
        if self.database is not None:
            await asyncio.to_thread(self.database.dispose)
        log.info("service.stopped", service=self.name, sent=self.metrics.sent(), received=self.metrics.received())
