"""The distributed system's report for the gateway's System panel: every service's ``/readyz`` and the depth of the
bus queues the services consume, read from the broker (so a stopped consumer's growing queue still shows)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from tradewind.application.ports.system import QueueLag, ServiceState, SystemReport
from tradewind.interfaces.health.server import probe

Depth = Callable[[str], Awaitable[int | None]]


class RegistryStatus:
    """Asks each ``(name, base_url)`` of ``services`` for ``/readyz`` and ``depth`` for each queue, all at once."""

    def __init__(
        self, services: Sequence[tuple[str, str]], queues: Sequence[str], depth: Depth, timeout_s: float
    ) -> None:
        self._services = tuple(services)
        self._queues = tuple(queues)
        self._depth = depth
        self._timeout_s = timeout_s

    async def report(self) -> SystemReport:
        states = asyncio.gather(*(self._ready(name, url) for name, url in self._services))
        lags = asyncio.gather(*(self._lag(queue) for queue in self._queues))
        return SystemReport("distributed", tuple(await states), tuple(await lags))

    async def _ready(self, name: str, base_url: str) -> ServiceState:
        try:
            status, body = await probe(base_url, "/readyz", self._timeout_s)
        except Exception as exc:  # refused, reset, timed out: the service is not serving its probes
            return ServiceState(name, False, f"unreachable at {base_url}: {type(exc).__name__}")
        if status == 200:
            return ServiceState(name, True)
        checks = body.get("checks")
        failing = {k: v for k, v in checks.items() if v != "ok"} if isinstance(checks, dict) else body
        return ServiceState(name, False, "; ".join(f"{k}: {v}" for k, v in failing.items())[:300] or f"HTTP {status}")

    async def _lag(self, queue: str) -> QueueLag:
        try:
            async with asyncio.timeout(self._timeout_s):
                depth = await self._depth(queue)
        except Exception as exc:
            return QueueLag(queue, None, str(exc)[:200] or type(exc).__name__)
        return QueueLag(queue, depth, "" if depth is not None else "no such queue (its consumer never ran)")
