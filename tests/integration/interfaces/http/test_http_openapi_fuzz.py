"""Schemathesis over the HTTP API's own OpenAPI: every route, valid and invalid input, with the bearer token, and no
answer is a 5xx; answers that have a schema conform to it.

The app (TWAP on a rig, market data, the text commands) runs on loopback in a thread of its own, since schemathesis
calls it with blocking requests; each operation gets a bounded number of examples, so the whole file takes seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.fakes.trades import FakeTrades
from tests.support.http_api import api_access, auth_headers
from tests.support.twap import rig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.commands import CommandService
from tradewind.application.lifecycle import Component, Runner
from tradewind.application.marketdata.service import MarketDataService
from tradewind.application.system import RunnerStatus
from tradewind.application.trading.trade_client import TradeClient
from tradewind.application.trading.trades import TradeDesk
from tradewind.domain.command_language import DEFAULT_ALIASES, LanguageContext
from tradewind.interfaces.http import HttpServer, create_http_app

pytestmark = pytest.mark.integration
CHECKS = (not_a_server_error, content_type_conformance, response_schema_conformance)


def _serve_in_thread(tmp_path: Path) -> Iterator[str]:
    """The whole API on loopback in its own thread and event loop; yields its base URL."""
    ready: list[str] = []
    started = threading.Event()
    stopping: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        async with rig(tmp_path) as r:
            bus = InMemoryBus()
            await bus.start()
            market_data = MarketDataService(bus, WallClock(), {})
            language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
            desk = TradeDesk(FakeTrades(), {}, bus, WallClock())  # GET /trades over the bus, as in every system
            await desk.start()
            commands = CommandService(
                twap=r.service, market_data=market_data, default_exchange="sim", language=language,
                trades=TradeClient(bus, timeout_s=5),
            )  # fmt: skip
            # The dashboard's reads too: /candles over the rig's migrated database, /system over a runner.
            status = RunnerStatus(bus.backlog, Runner("fuzzed", [Component("http")]))
            app = create_http_app(
                commands, api_access(), None, bus, market=SqlMarketDataRepository(r.database), system=status
            )
            server = HttpServer(app, "127.0.0.1", 0)
            await server.start()
            stop = asyncio.Event()
            stopping.append((asyncio.get_running_loop(), stop))
            ready.append(f"http://127.0.0.1:{server.port}")
            started.set()
            try:
                await stop.wait()
            finally:
                await server.stop()
                await desk.stop()
                await market_data.close()
                await bus.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="http-api", daemon=True)
    thread.start()
    assert started.wait(30), "the HTTP API did not start"
    try:
        yield ready[0]
    finally:
        loop, stop = stopping[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve_in_thread(tmp_path_factory.mktemp("openapi"))


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json")


EXAMPLES = 25  # per operation and generation mode


def test_no_input_through_the_openapi_makes_the_api_answer_a_5xx(api_schema: schemathesis.BaseSchema) -> None:
    """Each operation with valid (positive) and invalid (negative) data; every failure is listed, not just the first."""
    failures: list[str] = []
    calls: Counter[int] = Counter()  # answers by class (2xx, 4xx, ...)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode, headers=auth_headers()))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            response = case.call(timeout=10)
            calls[response.status_code // 100] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:  # no invalid data exists for an operation without parameters
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
        except (AssertionError, FailureGroup) as exc:  # schemathesis's failures, minimised by hypothesis
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:600]}")
    assert len(operations) >= 10, [o.label for o in operations]
    assert not failures, "\n\n".join(failures)
    assert calls[2] > 0 and calls[4] > 0 and calls[5] == 0, calls
