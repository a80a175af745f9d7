"""The gateway's HTTP API as bootstrap builds it: without http.token a distributed gateway refuses every change
(403) and warns at start; with one, the token is required."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from tests.support.http_api import TOKEN, call, command_gate
from tests.support.logs import captured_logs
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.marketdata.service import MarketDataService
from tradewind.bootstrap.commands import commands_over
from tradewind.bootstrap.gateway import http_api
from tradewind.bootstrap.platform import Platform
from tradewind.settings import Settings

MARKET = {"exchange": "sim", "category": "spot", "symbol": "BTCUSDT"}


def _serving(distributed: bool, **http: Any) -> Callable[[], AbstractAsyncContextManager[str]]:
    @asynccontextmanager
    async def serving() -> AsyncIterator[str]:
        settings = Settings.model_validate({"http": {"port": 0, **http}, "logging": {"to_database": False}})
        bus = InMemoryBus()
        await bus.start()
        market_data = MarketDataService(bus, WallClock(), {})
        commands = commands_over(settings, None, market_data)
        platform = Platform(settings, WallClock(), bus, distributed=distributed)
        parts = http_api(platform, commands, command_gate(commands))
        assert parts.component.start is not None and parts.component.stop is not None
        await parts.component.start()
        try:
            yield f"http://127.0.0.1:{parts.server.port}"
        finally:
            await parts.component.stop()
            await market_data.close()
            await bus.close()

    return serving


async def test_a_distributed_gateway_without_a_token_refuses_changes_with_403_and_warns() -> None:
    with captured_logs() as logs:
        async with _serving(distributed=True)() as url:
            for token in (None, TOKEN):
                status, body = await call("POST", f"{url}/subscribe", MARKET, token=token)
                assert status == 403 and body["detail"].startswith("no http.token configured"), body
            assert await call("GET", f"{url}/subscriptions", token=None) == (200, [])
    warnings = [e for e in logs if e["event"] == "gateway.no_token"]
    assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
    assert "TRADEWIND_HTTP__TOKEN" in warnings[0]["detail"]


async def test_a_distributed_gateway_with_a_token_requires_it_and_never_logs_it() -> None:
    with captured_logs() as logs:
        async with _serving(distributed=True, token=TOKEN)() as url:
            assert (await call("POST", f"{url}/unsubscribe", MARKET, token=None))[0] == 401
            status, body = await call("POST", f"{url}/unsubscribe", MARKET)
            assert status == 404 and "not subscribed" in body["detail"]  # past the guard, refused by the service
    assert not [e for e in logs if e["event"] == "gateway.no_token"]
    assert any(e["event"] == "gateway.http_listening" for e in logs)
    assert TOKEN not in repr(logs)
