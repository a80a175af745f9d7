"""``tradewind md``: the market-data verbs send the API's bearer token (``--token`` or TRADEWIND_HTTP__TOKEN)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from typer.testing import CliRunner, Result

from tests.support.http_api import TOKEN, api_access
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.interfaces.cli.app import app
from tradewind.interfaces.http import HttpServer, create_http_app

MARKET = ["kraken", "spot", "BTCUSDT"]  # no stream for kraken: past the guard, the service refuses it (400)


@pytest.fixture
async def api() -> AsyncIterator[str]:
    bus = InMemoryBus()
    await bus.start()
    market_data = MarketDataService(bus, WallClock(), {})
    server = HttpServer(create_http_app(CommandService(market_data=market_data), api_access()), "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{await server.start()}"
    finally:
        await server.stop()
        await market_data.close()
        await bus.close()


async def _md(*args: str, env: dict[str, str] | None = None) -> Result:
    """The verb in a thread: it blocks on urllib while this loop serves the API."""
    return await asyncio.to_thread(CliRunner().invoke, app, ["md", *args], env=env)


async def test_md_verbs_send_the_token_from_the_option_or_the_environment(api: str) -> None:
    refused = await _md("subscribe", *MARKET, "--api", api, env={"TRADEWIND_HTTP__TOKEN": ""})
    assert refused.exit_code == 1 and "error 401" in refused.output and "Authorization: Bearer" in refused.output
    wrong = await _md("unsubscribe", *MARKET, "--api", api, "--token", "not-the-token-at-all")
    assert wrong.exit_code == 1 and "error 401" in wrong.output
    by_option = await _md("subscribe", *MARKET, "--api", api, "--token", TOKEN)
    by_env = await _md("subscribe", *MARKET, "--api", api, env={"TRADEWIND_HTTP__TOKEN": TOKEN})
    for result in (by_option, by_env):
        assert result.exit_code == 1 and "error 400" in result.output and "kraken" in result.output
    listed = await _md("list", "--api", api)
    assert (listed.exit_code, listed.output) == (0, "")
