"""The HTTP API while a dependency is down: 503 naming it (database, broker), never a 500, on every route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.support.http_api import api_access, authorized_session
from tests.support.processes import free_port
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.commands import CommandService
from tradewind.application.ports.bus import BusError
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.service import TwapService
from tradewind.interfaces.http import HttpServer, create_http_app
from tradewind.interfaces.http.errors import install_error_handlers


async def _call(url: str, method: str, path: str) -> tuple[int, Any, str | None]:
    async with authorized_session() as http, http.request(method, url + path) as resp:
        return resp.status, await resp.json(), resp.headers.get("Retry-After")


@pytest.fixture
async def api_without_database() -> AsyncIterator[str]:
    """The API over a TWAP service whose PostgreSQL refuses connections, as a stopped one does."""
    database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    clock, bus = WallClock(), InMemoryBus()
    await bus.start()
    service = TwapService(
        SqlTwapRepository(database), {}, bus, clock, JobJournal(SqlLogRepository(database), clock),
        SqlMarketDataRepository(database),
    )  # fmt: skip
    commands = CommandService(twap=service, default_exchange="sim")
    server = HttpServer(create_http_app(commands, api_access()), "127.0.0.1", 0)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()
        await bus.close()
        database.dispose()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/twap/job1"), ("GET", "/twap"), ("GET", "/twap/job1/report"), ("POST", "/twap/job1/pause")],
)
async def test_a_stopped_database_is_a_503_naming_it(api_without_database: str, method: str, path: str) -> None:
    status, body, retry = await _call(api_without_database, method, path)
    assert status == 503, body
    assert body["dependency"] == "database"
    assert body["detail"].startswith("database unavailable: ") and "Connection refused" in body["detail"]
    assert retry is not None


async def test_an_outage_raised_outside_a_command_is_a_503_naming_it_too() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/db")
    async def db() -> None:
        raise StoreUnavailable("server closed the connection unexpectedly")

    @app.get("/bus")
    async def bus() -> None:
        raise BusError("publish to 'twap.command' failed for 30.0 s")

    server = HttpServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert (await _call(url, "GET", "/db"))[:2] == (
            503, {"detail": "database unavailable: server closed the connection unexpectedly", "dependency": "database"}
        )  # fmt: skip
        status, body, _ = await _call(url, "GET", "/bus")
        assert (status, body["dependency"]) == (503, "broker")
    finally:
        await server.stop()
