"""One service process of the distributed mode: its parts started in order, probed, measured, stopped in reverse."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import text

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.ports.bus import BusError
from tradewind.interfaces.health.metrics import MeteredBus, ServiceMetrics
from tradewind.interfaces.health.queues import QueueDepthProbe
from tradewind.interfaces.health.server import HealthServer
from tradewind.interfaces.health.settings import DistributedSettings

log = structlog.get_logger(__name__)


class ServiceUnavailable(RuntimeError):
    """The named service is reserved but its workflow is not built yet (or the name is unknown)."""


class ServiceCrashed(RuntimeError):
    """A long-running part of the service ended on its own; the process should exit so it is restarted."""


@dataclass(frozen=True, slots=True)
class Component:
    """A part of a service: ``start`` in order, ``run`` as a background task, ``stop`` in reverse order."""

    name: str
    start: Callable[[], Awaitable[object]] | None = None
    run: Callable[[], Coroutine[Any, Any, None]] | None = None
    stop: Callable[[], Awaitable[object]] | None = None


@dataclass
class DistributedService:
    """What ``tradewind service NAME`` runs; ``queues`` are the bus queues it consumes (their depth is its lag)."""

    name: str
    settings: DistributedSettings
    bus: MeteredBus
    metrics: ServiceMetrics
    components: Sequence[Component]
    database: Database | None = None
    queues: tuple[str, ...] = ()
    health: HealthServer | None = None
    _probe: QueueDepthProbe | None = None
    _started: list[Component] = field(default_factory=list)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def start(self, health_port: int | None = None) -> int:
        """Connect, start every part, then serve the probes; returns the health port. Undoes itself on failure."""
        self._probe = QueueDepthProbe(self.settings.bus)
        self.health = HealthServer(
            self.metrics,
            liveness={"loop": lambda: None, **{name: self._task_problem(name) for name in self._run_names()}},
            readiness=self._readiness(),
            refresh=self._refresh_lag,
            timeout_s=self.settings.probe_timeout_s,
        )
        try:
            await self._probe.start()
            await self.bus.start()
            for component in self.components:
                if component.start is not None:
                    await component.start()
                self._started.append(component)
                if component.run is not None:
                    self._tasks[component.name] = asyncio.create_task(component.run(), name=component.name)
            port = self.settings.ports.of(self.name) if health_port is None else health_port
            bound = await self.health.start(self.settings.health_host, port)
        except BaseException:
            await self.stop()
            raise
        self.metrics.up.labels(self.name).set(1)
        log.info("service.ready", service=self.name, health_url=f"http://{self.settings.health_host}:{bound}")
        return bound

    def _run_names(self) -> list[str]:
        return [c.name for c in self.components if c.run is not None]

    def _task_problem(self, name: str) -> Callable[[], str | None]:
        def problem() -> str | None:
            task = self._tasks.get(name)
            if task is None:
                return "not started"
            return f"{name} has stopped" if task.done() else None

        return problem

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
        """Return when ``stop`` is set; raise ServiceCrashed if a background part ends first."""
        waiter = asyncio.create_task(stop.wait(), name="stop-signal")
        try:
            done, _ = await asyncio.wait([waiter, *self._tasks.values()], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        for name, task in self._tasks.items():
            if task in done:
                error = None if task.cancelled() else task.exception()
                self.metrics.errors.labels("crash").inc()
                raise ServiceCrashed(f"{self.name}: {name} ended on its own: {error!r}") from error

    async def stop(self) -> None:
        """Stop every started part in reverse order, then the bus, the probes and the database; idempotent."""
        self.metrics.up.labels(self.name).set(0)
        for component in reversed(self._started):
            try:
                if component.stop is not None:
                    await component.stop()
                task = self._tasks.pop(component.name, None)
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, 10)
            except Exception as exc:  # keep stopping the rest: their buffers matter too
                self.metrics.errors.labels("stop").inc()
                log.error("service.stop_failed", service=self.name, component=component.name, error=repr(exc))
        self._started.clear()
        await self.bus.close()
        if self._probe is not None:
            await self._probe.close()
        if self.health is not None:
            await self.health.stop()
        if self.database is not None:
            await asyncio.to_thread(self.database.dispose)
        log.info("service.stopped", service=self.name, sent=self.metrics.sent(), received=self.metrics.received())
