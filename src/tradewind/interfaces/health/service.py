"""One service process of the distributed mode: its components run by the shared Runner, probed and measured."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from tradewind.application.lifecycle import Component, ComponentCrashed, Runner
from tradewind.application.ports.metrics import Metrics
from tradewind.interfaces.health.server import HealthServer, ReadyCheck, Refresh

log = structlog.get_logger(__name__)


@dataclass
class DistributedService:
    """What ``tradewind service NAME`` runs: its components, then ``/healthz``, ``/readyz`` and ``/metrics``.

    Liveness is the runner's (a component's health, a background task that ended); readiness asks the dependencies
    (the checks bootstrap built: broker, queues, database); ``refresh`` updates gauges before ``/metrics`` answers.
    """

    name: str
    components: Sequence[Component]
    metrics: Metrics
    health_host: str
    health_port: int
    readiness: Mapping[str, ReadyCheck] = field(default_factory=dict)
    refresh: Refresh | None = None
    probe_timeout_s: float = 2.0
    health: HealthServer | None = None
    # Set from inside the service (an admin's confirmed `quit` on Telegram): run_until returns as if signalled.
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: Runner | None = None

    async def start(self, health_port: int | None = None) -> int:
        """Start every component, then serve the probes; returns the health port. Undoes itself on failure."""
        self._runner = Runner(self.name, self.components, on_crash=lambda _name: self.metrics.count_error("crash"))
        self.health = HealthServer(
            self.metrics,
            liveness={"loop": lambda: None, **self._runner.checks()},
            readiness=self.readiness,
            refresh=self.refresh,
            timeout_s=self.probe_timeout_s,
        )
        try:
            await self._runner.start()
            port = self.health_port if health_port is None else health_port
            bound = await self.health.start(self.health_host, port)
        except BaseException:
            await self.stop()
            raise
        self.metrics.set_up(True)
        log.info("service.ready", service=self.name, health_url=f"http://{self.health_host}:{bound}")
        return bound

    async def run_until(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` or ``shutdown`` is set; raise ComponentCrashed if a background component ends first."""
        if self._runner is None:
            raise RuntimeError(f"{self.name} was not started")
        either = asyncio.Event()
        waiters = [asyncio.create_task(_relay(event, either)) for event in (stop, self.shutdown)]
        try:
            await self._runner.run_until(either)
        except ComponentCrashed:
            self.metrics.count_error("crash")
            raise
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def stop(self) -> None:
        """Stop the components in reverse order, then the probes; idempotent."""
        self.metrics.set_up(False)
        if self._runner is not None:
            await self._runner.stop()
            if self._runner.stop_failures:
                self.metrics.count_error("stop", self._runner.stop_failures)
                self._runner.stop_failures = 0
        if self.health is not None:
            await self.health.stop()
        log.info("service.stopped", service=self.name, sent=self.metrics.sent(), received=self.metrics.received())


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
