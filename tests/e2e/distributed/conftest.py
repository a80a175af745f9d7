"""Distributed-mode fixtures: a fresh RabbitMQ vhost and PostgreSQL schema per test, and service subprocesses.

The broker and database fixtures are the shared plugins (tests/fixtures/bus.py, tests/fixtures/store.py),
so the skip-or-fail-under-CI rules stay in one place.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from yarl import URL

from tests.support.rabbitmq import VhostPool

from .distributed_support import ServiceProcess, StartService


@pytest.fixture
def service_env(rabbitmq_url: str, vhost_pool: VhostPool, postgres_url: str, pg_schema: str) -> dict[str, str]:
    """Environment of a service process: distributed mode on this test's own vhost and schema, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}
    env.update(
        TRADEWIND_MODE="distributed",
        TRADEWIND_DISTRIBUTED__BUS__URL=str(URL(rabbitmq_url).with_path("/" + vhost_pool.take())),
        TRADEWIND_DISTRIBUTED__BUS__RECONNECT_INTERVAL="0.2",
        TRADEWIND_STORAGE__URL=postgres_url,
        TRADEWIND_STORAGE__PG_SCHEMA=pg_schema,
        TRADEWIND_LOGGING__FORMAT="json",
        TRADEWIND_LOGGING__TO_DATABASE="false",
        TRADEWIND_SIM_EXCHANGE__PORT="0",
        TRADEWIND_HTTP__PORT="0",
    )
    return env


@pytest.fixture
async def start_service(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[StartService]:
    """``await start_service("storage")``: run the service until it logs service.ready; killed at teardown."""
    started: list[ServiceProcess] = []

    async def start(name: str, *args: str) -> ServiceProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tradewind",
            "service",
            name,
            "--health-port",
            "0",
            *args,
            cwd=tmp_path,  # no ./tradewind.yaml there: the environment is the whole configuration
            env=service_env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        service = ServiceProcess(name, process)
        service._reader = asyncio.create_task(service.read())
        started.append(service)
        await service.wait_event("service.ready")
        return service

    yield start
    for service in started:
        if service.process.returncode is None:
            service.process.kill()
            await service.process.wait()


@pytest.fixture
def schema_tables(postgres_url: str, pg_schema: str) -> Iterator[Callable[[str], int]]:
    """``count(table)``: rows in a table of this test's schema."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)

    def count(table: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(text(f'SELECT count(*) FROM "{pg_schema}"."{table}"')).scalar_one())

    yield count
    engine.dispose()
