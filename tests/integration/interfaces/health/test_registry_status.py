"""The gateway's System report over real probe servers: a ready service, a failing one naming its check, one that
does not listen; and queue depths, including one that cannot be read."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from tradewind.adapters.metrics import ServiceMetrics
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.system import QueueLag, ServiceState
from tradewind.interfaces.health.server import HealthServer
from tradewind.interfaces.health.status import RegistryStatus


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _broker_down() -> None:
    raise BusError("RabbitMQ does not answer")


@pytest.fixture
async def servers() -> AsyncIterator[tuple[str, str]]:
    async def ok() -> None:
        return None

    ready = HealthServer(ServiceMetrics("storage"), liveness={}, readiness={"database": ok})
    failing = HealthServer(ServiceMetrics("trader"), liveness={}, readiness={"database": ok, "broker": _broker_down})
    await ready.start("127.0.0.1", 0)
    await failing.start("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{ready.port}", f"http://127.0.0.1:{failing.port}"
    finally:
        await ready.stop()
        await failing.stop()


async def test_each_service_ready_failing_or_unreachable_and_each_queue_depth(servers: tuple[str, str]) -> None:
    ready, failing = servers
    absent = f"http://127.0.0.1:{closed_port()}"

    async def depth(queue: str) -> int | None:
        if queue == "broken":
            raise BusError("cannot read the depth of 'broken'")
        return {"storage.md": 7}.get(queue)

    status = RegistryStatus(
        [("storage", ready), ("trader", failing), ("lake", absent)], ["storage.md", "lake.md", "broken"], depth, 2.0
    )
    report = await status.report()
    assert report.mode == "distributed"
    assert report.services[:2] == (
        ServiceState("storage", True),
        ServiceState("trader", False, "broker: BusError: RabbitMQ does not answer"),
    )
    lake = report.services[2]
    assert (lake.name, lake.ready) == ("lake", False) and lake.detail.startswith(f"unreachable at {absent}")
    assert report.queues == (
        QueueLag("storage.md", 7),
        QueueLag("lake.md", None, "no such queue (its consumer never ran)"),
        QueueLag("broken", None, "cannot read the depth of 'broken'"),
    )
