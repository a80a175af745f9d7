"""A service that cannot start says why in one line (exit 1); one that runs logs to its database as configured."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.cli import QUIET, closed_port, environment, failure_line, tradewind

from .distributed_support import StartService


def test_an_unreachable_broker_is_one_line_without_its_password(tmp_path: Path) -> None:
    port = closed_port()
    env = environment(
        TRADEWIND_MODE="distributed",
        TRADEWIND_STORAGE__URL=f"postgresql+psycopg://tw@127.0.0.1:{closed_port()}/x",
        TRADEWIND_DISTRIBUTED__BUS__URL=f"amqp://tw:hunter2@127.0.0.1:{port}/",
        **QUIET,
    )

    line = failure_line(tradewind("service", "storage", "--health-port", "0", env=env, cwd=tmp_path), 1)

    assert line.startswith(f"cannot start: cannot connect to RabbitMQ at amqp://tw:***@127.0.0.1:{port}/:"), line


def test_an_unreachable_database_is_one_line(tmp_path: Path, service_env: dict[str, str]) -> None:
    port = closed_port()
    env = service_env | QUIET | {"TRADEWIND_STORAGE__URL": f"postgresql+psycopg://tw:hunter2@127.0.0.1:{port}/x"}

    line = failure_line(tradewind("service", "storage", "--health-port", "0", env=env, cwd=tmp_path), 1)

    assert line.startswith(f"cannot start: database postgresql+psycopg://tw:***@127.0.0.1:{port}/x: connection failed")


def test_a_health_port_in_use_is_named(tmp_path: Path, service_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = tradewind("service", "sim-exchange", "--health-port", str(port), env=service_env | QUIET, cwd=tmp_path)

    assert failure_line(result, 1) == (
        f"cannot start: cannot listen on 127.0.0.1:{port} for the health probes (--health-port, distributed.ports): "
        "Address already in use"
    )


async def test_every_service_with_a_database_logs_to_it(
    start_service: StartService, service_env: dict[str, str], postgres_url: str, pg_schema: str
) -> None:
    service_env["TRADEWIND_LOGGING__TO_DATABASE"] = "true"
    storage = await start_service("storage")  # migrates: its logs wait for the logs table
    market_data = await start_service("market-data")  # checks the schema, then logs too
    for service in (market_data, storage):
        assert await service.terminate() == 0

    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT event, fields FROM \"{pg_schema}\".logs WHERE event = 'service.ready'"))
        ready = sorted(fields["service"] for _, fields in rows)
    engine.dispose()
    assert ready == ["market-data", "storage"]
