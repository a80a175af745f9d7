"""The trader's routes on loopback (uvicorn, port 0): positions with PnL, position status, deals, balances; the text
language's ``positions``; bad queries answered 422 and nothing changed; no routes where no trader runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.support.bybit_server import seeded_venue
from tests.support.http_api import api_access, call, command_gate
from tests.support.signals import signal
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.deal_repository import SqlDealRepository
from tradewind.application.commands import CommandService
from tradewind.application.trading.service import TraderService
from tradewind.domain.command_language import DEFAULT_ALIASES, LanguageContext
from tradewind.domain.signals.signal import Action
from tradewind.interfaces.http import HttpServer, create_http_app


@dataclass
class Api:
    url: str
    trader: TraderService

    async def get(self, path: str) -> tuple[int, object]:
        return await call("GET", self.url + path)


async def _serve(commands: CommandService) -> HttpServer:
    server = HttpServer(create_http_app(commands, api_access(), command_gate(commands)), "127.0.0.1", 0)
    await server.start()
    return server


@pytest.fixture
async def api(sqlite_database: Database) -> AsyncIterator[Api]:
    clock = SimClock()
    trader = TraderService(
        SqlDealRepository(sqlite_database), {"sim": SimGateway(seeded_venue(clock), "trader-1", "sim")},
        InMemoryBus(), clock,
    )  # fmt: skip
    language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
    server = await _serve(CommandService(trader=trader, default_exchange="sim", language=language))
    try:
        yield Api(f"http://127.0.0.1:{server.port}", trader)
    finally:
        await server.stop()


async def test_positions_status_and_deals_after_a_buy(api: Api) -> None:
    await api.trader.handle(signal(exchange="sim", price="60000", amount="1000"))
    status, body = await api.get("/positions")
    assert status == 200, body
    assert isinstance(body, dict)
    (position,) = body["positions"]
    assert (position["source"], position["qty"], position["price"], position["protection"]) == (
        "trend-btc", "0.016", "60010", "exchange",
    )  # fmt: skip
    # Marked at the venue's last trade (the BUY's own fill), the entry fee included.
    assert Decimal(position["unrealised_pnl"]) == -Decimal(position["fee"])
    assert body["by_source"]["trend-btc"]["open_positions"] == 1 and body["differences"] == []

    status, answer = await api.get("/positions/status?symbol=BTCUSDT&source=trend-btc")
    assert status == 200
    assert answer == {**answer, "has_open_position": True, "recently_closed": False, "can_open_new": False}

    await api.trader.handle(signal(Action.SELL, exchange="sim", sid="s2", price="60000"))
    status, deals = await api.get("/deals?source=trend-btc")
    assert status == 200 and isinstance(deals, list)
    assert [(d["action"], d["status"], d["manually_closed"]) for d in deals] == [
        ("SELL", "filled", False), ("BUY", "closed", True),
    ]  # fmt: skip
    assert deals[1]["tp_order_id"] and deals[1]["sl_order_id"]  # its own partial TP / SL on the venue
    assert (deals[0]["tp_order_id"], deals[0]["sl_order_id"]) == ("", "")
    status, answer = await api.get("/positions/status?symbol=BTCUSDT&source=trend-btc")
    assert answer == {**answer, "has_open_position": False, "recently_closed": True, "can_open_new": False}


async def test_the_text_language_lists_positions_and_balances(api: Api) -> None:
    status, answer = await call("POST", api.url + "/commands", {"text": "positions"})
    assert status == 200, answer
    assert answer["outcome"]["positions"] == [] and answer["outcome"]["total"]["realised"] == "0"
    status, answer = await call("POST", api.url + "/commands", {"text": "balance"})
    assert status == 200, answer
    assert answer["outcome"]["balances"]["sim"]["USDT"]["total"] == "100000"


@pytest.mark.parametrize(
    "query",
    ["/positions/status?symbol=BTC USDT&source=x", "/positions/status?source=x", "/deals?limit=0", "/deals?limit=x"],
)
async def test_a_bad_query_is_refused_with_a_4xx_naming_it(api: Api, query: str) -> None:
    status, body = await api.get(query)
    assert status == 422, body
    assert await api.trader.deals() == []


async def test_no_trader_no_routes_and_the_language_says_why() -> None:
    server = await _serve(CommandService(default_exchange="sim"))
    try:
        url = f"http://127.0.0.1:{server.port}"
        assert (await call("GET", url + "/positions"))[0] == 404
        status, answer = await call("POST", url + "/commands", {"text": "positions"})
        assert status >= 400 and "trader" in str(answer)
    finally:
        await server.stop()


async def test_the_cli_shows_positions_and_deals_from_the_running_api(api: Api) -> None:
    import asyncio

    from typer.testing import CliRunner

    from tests.support.http_api import TOKEN
    from tradewind.interfaces.cli.app import app

    await api.trader.handle(signal(exchange="sim", price="60000", amount="1000"))

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, [*args, "--api", api.url, "--token", TOKEN])
        return result.exit_code, result.output

    code, shown = await asyncio.to_thread(run, "positions")
    assert code == 0, shown
    assert "trend-btc" in shown and "0.016" in shown and "exchange" in shown and "total: realised 0" in shown
    code, shown = await asyncio.to_thread(run, "deals", "--json")
    assert code == 0, shown
    assert '"action": "BUY"' in shown
    code, shown = await asyncio.to_thread(run, "positions", "--symbol", "BTCUSDT", "--source", "trend-btc")
    assert code == 0 and '"can_open_new": false' in shown
    code, shown = await asyncio.to_thread(run, "positions", "--symbol", "BTCUSDT")
    assert code == 2 and "--source" in shown
