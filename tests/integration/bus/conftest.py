"""Bus fixtures: the machine's RabbitMQ (``rabbitmq_url``), a fresh vhost per test, a started RabbitMqBus.

Without RabbitMQ (or rabbitmqctl, which makes the vhosts) the tests that need it skip with the reason,
except under CI=true where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import aio_pika
import pytest
from bus_support import Broker, VhostPool
from yarl import URL

from tradewind.adapters.bus.rabbitmq import RabbitMqBus, RabbitMqSettings, redact

RABBITMQ_URL_ENV = "TRADEWIND_TEST_RABBITMQ_URL"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
RABBITMQCTL_ENV = "TRADEWIND_TEST_RABBITMQCTL"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: RabbitMQ is required)")
    pytest.skip(reason)


async def _probe(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=3)
    await connection.close()


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """URL of the machine's RabbitMQ (env TRADEWIND_TEST_RABBITMQ_URL overrides); skip or fail if down."""
    url = os.environ.get(RABBITMQ_URL_ENV, DEFAULT_RABBITMQ_URL)
    try:  # in a thread of its own: this fixture may be first requested from inside a running event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _probe(url)).result()
    except Exception as exc:
        unavailable(f"RabbitMQ unreachable at {redact(url)}: {exc!r}")
    return url


@pytest.fixture(scope="session")
def rabbitmqctl(rabbitmq_url: str) -> str:
    path = os.environ.get(RABBITMQCTL_ENV) or shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    if not os.access(path, os.X_OK):
        unavailable(f"rabbitmqctl not found at {path} (set {RABBITMQCTL_ENV}); the bus tests make vhosts with it")
    return path


@pytest.fixture(scope="session")
def vhost_pool(rabbitmq_url: str, rabbitmqctl: str) -> Iterator[VhostPool]:
    pool = VhostPool(rabbitmqctl, URL(rabbitmq_url).user or "guest")
    yield pool
    pool.drop_all()


@pytest.fixture
def rabbit_settings(rabbitmq_url: str, vhost_pool: VhostPool) -> RabbitMqSettings:
    """Settings pointing at a vhost of this test's own; retries and reconnects kept short."""
    url = str(URL(rabbitmq_url).with_path("/" + vhost_pool.take()))
    return RabbitMqSettings(url=url, max_retries=2, reconnect_interval=0.2, publish_timeout=60.0)


@pytest.fixture
async def rabbit_bus(rabbit_settings: RabbitMqSettings) -> AsyncIterator[RabbitMqBus]:
    bus = RabbitMqBus(rabbit_settings)
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
def broker(rabbitmqctl: str) -> Iterator[Broker]:
    """Stop/start control of RabbitMQ; the broker is running again afterwards, whatever the test did."""
    control = Broker(rabbitmqctl)
    try:
        yield control
    finally:
        control.ensure_running()
