"""What the dashboard's System panel reads: the services of the running system, their readiness, the queues' lag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ServiceState:
    """One part of the system: a component (embedded) or a service (distributed); ``detail`` says why not ready."""

    name: str
    ready: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QueueLag:
    """Messages waiting in one bus queue; ``depth`` None when it cannot be read now (``detail`` says why)."""

    queue: str
    depth: int | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SystemReport:
    mode: str  # "embedded" or "distributed"
    services: tuple[ServiceState, ...]
    queues: tuple[QueueLag, ...]


class SystemStatus(Protocol):
    """Reads the state of the running system now (each call asks again: nothing is cached)."""

    async def report(self) -> SystemReport: ...
