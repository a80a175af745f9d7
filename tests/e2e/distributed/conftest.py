"""Distributed-mode fixtures: a fresh RabbitMQ vhost and PostgreSQL schema per test, and service subprocesses.

The broker and database fixtures are the integration suites' own (tests/integration/{bus,store}/conftest.py),
loaded here by path so the skip-or-fail-under-CI rules stay in one place.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from distributed_support import ServiceProcess, StartService
from yarl import URL

_TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(_TESTS / "integration" / "bus"))  # bus_support, imported by the bus conftest


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_bus = _load("tw_bus_fixtures", _TESTS / "integration" / "bus" / "conftest.py")
_store = _load("tw_store_fixtures", _TESTS / "integration" / "store" / "conftest.py")
rabbitmq_url = _bus.rabbitmq_url
rabbitmqctl = _bus.rabbitmqctl
vhost_pool = _bus.vhost_pool
postgres_url = _store.postgres_url
pg_schema = _store.pg_schema


@pytest.fixture
def service_env(rabbitmq_url: str, vhost_pool: Any, postgres_url: str, pg_schema: str) -> dict[str, str]:
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
