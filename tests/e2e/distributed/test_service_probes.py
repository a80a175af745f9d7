"""A service's probes and the CLI around it: readiness names the dependency that is down, bad requests exit 2."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from tests.support.logs import captured_logs
from tests.support.rabbitmq import close_connections
from tests.support.waiting import eventually
from tradewind.bootstrap import available_services, build_distributed
from tradewind.bootstrap.registry import service_names
from tradewind.interfaces.cli.app import app
from tradewind.settings import load_settings

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_gateway_is_live_but_not_ready_while_its_database_is_down(service_env: dict[str, str]) -> None:
    dead_db = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing"
    settings = load_settings(
        None,
        mode="distributed",
        storage={"url": dead_db, "migrate_on_start": False},
        http={"port": 0},
        distributed={"bus": {"url": service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]}, "probe_timeout_s": 5},
    )
    service = build_distributed(settings, "gateway")
    port = await service.start(health_port=0)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as live:
                assert live.status == 200
            async with session.get(f"http://127.0.0.1:{port}/readyz") as ready:
                body = await ready.json()
                assert ready.status == 503
    finally:
        await service.stop()
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["database"] != "ok"


async def test_readiness_fails_while_the_services_broker_connection_is_gone_and_recovers(
    service_env: dict[str, str], rabbitmqctl: str
) -> None:
    """What a broker restart does to one service: its own connection drops; /readyz says so, then recovers."""
    bus_url = service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]
    settings = load_settings(
        None,
        mode="distributed",
        storage={"url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing", "migrate_on_start": False},
        http={"port": 0},
        distributed={"bus": {"url": bus_url, "reconnect_interval": 3.0}, "probe_timeout_s": 5},
    )
    service = build_distributed(settings, "gateway")
    port = await service.start(health_port=0)

    async def broker_check() -> str:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/readyz") as ready:
            body = await ready.json()
            assert ready.status == 503  # the database is down throughout
            return str(body["checks"]["broker"])

    try:
        assert await broker_check() == "ok"
        assert await close_connections(rabbitmqctl, bus_url.rsplit("/", 1)[1], "tradewind-bus") == 1
        down = await eventually(broker_check, lambda check: check != "ok")
        await eventually(broker_check, lambda check: check == "ok")
    finally:
        await service.stop()
    assert "not connected to RabbitMQ" in down or "channel" in down, down


async def test_producer_service_is_ready_on_the_broker_alone(service_env: dict[str, str]) -> None:
    settings = load_settings(
        None,
        mode="distributed",
        strategies=[{"id": "trend-btc", "name": "trend", "amount_quote": "100"}],
        producer={"strategy": "trend"},
        distributed={"bus": {"url": service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]}, "probe_timeout_s": 5},
    )
    service = build_distributed(settings, "producer")
    port = await service.start(health_port=0)
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/readyz") as ready:
            body = await ready.json()
            status = ready.status
    finally:
        await service.stop()
    assert status == 200, body
    assert body["checks"] == {"broker": "ok"}  # no database: the producer stores nothing itself


def test_service_list_names_every_service_and_marks_the_runnable_ones() -> None:
    result = CliRunner().invoke(app, ["service", "--list"])
    assert result.exit_code == 0
    listed = dict(line.split("\t", 1) for line in result.output.strip().splitlines())
    assert list(listed) == list(service_names())
    assert {name for name, state in listed.items() if state == "available"} == set(available_services())


@pytest.mark.parametrize(("name", "message"), [("bogus", "unknown service")])
def test_service_refuses_a_reserved_or_unknown_name(name: str, message: str) -> None:
    result = CliRunner().invoke(app, ["service", name])
    assert result.exit_code == 2
    assert message in result.output


def test_service_refuses_to_run_outside_distributed_mode(tmp_path: Path) -> None:
    config = tmp_path / "tradewind.yaml"
    config.write_text("mode: embedded\n")
    result = CliRunner().invoke(app, ["service", "storage", "--config", str(config)])
    assert result.exit_code == 2
    assert "mode: distributed" in result.output


def test_service_health_fails_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(app, ["service-health", "storage", "--url", url, "--timeout", "2"])
    assert result.exit_code == 1
    assert "/healthz failing unreachable" in result.output


def test_producer_strategy_names_a_configured_instance_or_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "tradewind.yaml"
    config.write_text(
        "mode: distributed\nstrategies:\n  - {id: trend-btc, name: trend, amount_quote: '100'}\n"
        "  - {id: trend-eth, name: trend, symbol: ETHUSDT, amount_quote: '50', enabled: false}\n"
    )
    unknown = CliRunner().invoke(app, ["service", "producer", "--strategy", "nope", "--config", str(config)])
    disabled = CliRunner().invoke(app, ["service", "producer", "--strategy", "trend-eth", "--config", str(config)])
    elsewhere = CliRunner().invoke(app, ["service", "storage", "--strategy", "trend", "--config", str(config)])

    assert unknown.exit_code == disabled.exit_code == elsewhere.exit_code == 2
    assert "no enabled strategy instance named 'nope'; configured: trend-btc (trend), trend-eth (trend)" in " ".join(
        unknown.output.split()
    )
    assert "named 'trend-eth'" in " ".join(disabled.output.split())
    assert "--strategy is an option of the producer service only" in elsewhere.output


async def test_trader_service_is_ready_on_the_broker_and_a_migrated_database_and_stops_cleanly(
    service_env: dict[str, str], postgres_url: str, pg_schema: str
) -> None:
    from tradewind.adapters.store.sqlalchemy.database import Database

    migrated = Database(postgres_url, schema=pg_schema)
    migrated.upgrade()
    migrated.dispose()
    settings = load_settings(
        None,
        mode="distributed",
        storage={"url": postgres_url, "pg_schema": pg_schema},
        distributed={"bus": {"url": service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]}, "probe_timeout_s": 5},
    )
    service = build_distributed(settings, "trader")
    port = await service.start(health_port=0)
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/readyz") as ready:
            body = await ready.json()
            status = ready.status
    finally:
        with captured_logs() as logs:
            await service.stop()
    assert status == 200, body
    assert body["checks"] == {"broker": "ok", "database": "ok"}
    assert not [e for e in logs if e["event"] == "component.stop_failed"]
