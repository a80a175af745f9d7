"""What the workflows of one process share: settings, clock, bus, database and (if here) the simulated market."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.lifecycle import Component
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.bootstrap.startup import configured_database
from tradewind.settings import Settings

if TYPE_CHECKING:  # annotations only: a process without a simulated market does not load it
    from tradewind.adapters.metrics import ServiceMetrics
    from tradewind.application.simulator.service import MarketSimulatorService
    from tradewind.application.venue.service import SimVenue


@dataclass(frozen=True, slots=True)
class SimulatedMarket:
    """The swarm's engines shared with the venue that client orders reach."""

    simulator: MarketSimulatorService
    venue: SimVenue


@dataclass(frozen=True, slots=True)
class ServiceParts:
    """What one service of the distributed mode runs; ``queues`` are the bus queues it consumes (its lag);
    ``readiness`` adds checks of what else it needs to /readyz (each raises with the reason when not ready)."""

    components: list[Component]
    queues: tuple[str, ...] = ()
    readiness: Mapping[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)


@dataclass
class Platform:
    """One process's shared parts; workflows take what they need from it and return their components."""

    settings: Settings
    clock: Clock
    bus: Bus
    distributed: bool
    metrics: ServiceMetrics | None = None  # a distributed service's own Prometheus metrics
    market: SimulatedMarket | None = None
    # Set by `quit` (terminal, Telegram): the process's run loop waits on it as on a signal and stops every service.
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    _database: Database | None = field(default=None, repr=False)

    @property
    def database(self) -> Database:
        """The configured database, opened on first use (PostgreSQL only in distributed mode)."""
        if self._database is None:
            self._database = configured_database(self.settings.storage, distributed=self.distributed)
        return self._database

    @property
    def opened_database(self) -> Database | None:
        """The database if a workflow of this process uses it (for readiness checks and disposal)."""
        return self._database

    @property
    def venue(self) -> SimVenue | None:
        return None if self.market is None else self.market.venue

    def bus_component(self) -> Component:
        return Component("bus", self.bus.start, None, self.bus.close)

    def database_component(self) -> Component:
        """Disposes of the connection pool last (put it first)."""

        async def dispose() -> None:
            if self._database is not None:
                await asyncio.to_thread(self._database.dispose)

        return Component("database", None, None, dispose)
