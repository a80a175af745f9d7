"""``GET /spreads`` and ``GET /exposure`` on loopback over a trading engine, and ``tradewind spreads`` reading them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fakes.spread_repository import FakeSpreadRepository
from tests.support.cli import QUIET, environment, tradewind
from tests.support.http_api import TOKEN, api_access, call
from tests.support.spread import LONG_SPOT, settings
from tradewind.adapters.clock import SimClock
from tradewind.application.commands import CommandService
from tradewind.application.spread.trading import TradingEngine
from tradewind.domain.spread.orders import FundingPayment, SpreadAction, SpreadOrder
from tradewind.domain.values import Category
from tradewind.interfaces.http import HttpServer, create_http_app


@pytest.fixture
async def api() -> AsyncIterator[str]:
    trading = TradingEngine(FakeSpreadRepository(), SimClock(), settings(fees_bps={"spot": "10", "linear": "5"}))
    await trading.start()
    for request_id, spread_id, action in (("r1", "s1", SpreadAction.OPEN), ("r2", "s2", SpreadAction.OPEN),
                                          ("r3", "s2", SpreadAction.CLOSE)):  # fmt: skip
        order = SpreadOrder(request_id, spread_id, action, LONG_SPOT, Decimal("0.01"), Decimal(100_000),
                            Decimal(100_200) if action is SpreadAction.OPEN else Decimal(100_000), 0)  # fmt: skip
        await trading.handle(order)
    server = HttpServer(create_http_app(CommandService(spreads=trading), api_access()), "127.0.0.1", 0)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def test_spreads_and_exposure_are_served_exactly(api: str) -> None:
    status, body = await call("GET", f"{api}/spreads")
    assert status == 200 and body["mode"] == "simulated"
    by_id = {s["spread_id"]: s for s in body["spreads"]}
    assert by_id["s1"]["state"] == "open" and by_id["s1"]["qty"] == "0.010000"
    assert by_id["s2"]["state"] == "closed" and by_id["s2"]["realised"] == "2.00"
    assert Decimal(by_id["s2"]["net_realised"]) == Decimal(2) - Decimal(by_id["s2"]["fees"])
    status, exposure = await call("GET", f"{api}/exposure")
    # each leg valued at its last traded price: the perp last traded at 100 000 (the close of s2)
    assert status == 200 and Decimal(exposure["total"]) == Decimal("0.01") * (100_000 + 100_000)
    assert {(e["category"], e["qty"]) for e in exposure["instruments"]} == {("spot", "0.01"), ("linear", "-0.01")}
    status, opened = await call("GET", f"{api}/spreads?open_only=true")
    assert [s["spread_id"] for s in opened["spreads"]] == ["s1"]


@pytest.mark.parametrize("query", ["limit=0", "limit=1.5", "limit=abc", "limit=10001", "open_only=maybe"])
async def test_a_bad_query_is_a_422_naming_it(api: str, query: str) -> None:
    status, body = await call("GET", f"{api}/spreads?{query}")
    assert status == 422 and query.split("=", maxsplit=1)[0] in body["detail"]


async def test_without_the_workflow_the_routes_are_not_mounted() -> None:
    server = HttpServer(create_http_app(CommandService(), api_access()), "127.0.0.1", 0)
    await server.start()
    try:
        status, _ = await call("GET", f"http://127.0.0.1:{server.port}/spreads")
        assert status == 404
    finally:
        await server.stop()


async def test_the_cli_prints_the_spreads_of_a_running_system(api: str, tmp_path: Path) -> None:
    env = environment(**QUIET)
    text = await asyncio.to_thread(tradewind, "spreads", "--api", api, "--token", TOKEN, env=env, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert any(line.startswith("s1  open") for line in lines) and any(line.startswith("s2  closed") for line in lines)
    assert lines[-1].startswith("mode simulated  total exposure 2000")
    raw = await asyncio.to_thread(tradewind, "spreads", "--open", "--json", "--api", api, env=env, cwd=tmp_path)
    assert [s["spread_id"] for s in json.loads(raw.stdout)["spreads"]] == ["s1"]


async def test_a_closed_spreads_funding_seen_after_its_close_is_in_its_served_pnl(tmp_path: Path) -> None:
    clock = SimClock()
    trading = TradingEngine(FakeSpreadRepository(), clock, settings())
    await trading.start()
    for spread_id in ("s1", "s2"):
        await trading.handle(SpreadOrder(f"o-{spread_id}", spread_id, SpreadAction.OPEN, LONG_SPOT, Decimal("0.01"),
                                         Decimal(100_000), Decimal(100_200), 0))  # fmt: skip
    settled = clock.now_ns()
    await clock.advance(1)
    await trading.handle(SpreadOrder("c-s2", "s2", SpreadAction.CLOSE, LONG_SPOT, Decimal("0.01"), Decimal(100_000),
                                     Decimal(100_000), 0))  # fmt: skip
    await clock.advance(60)
    await trading.on_funding(FundingPayment("f1", "sim", Category.LINEAR, "BTCUSDT", Decimal("-0.5"), settled))
    server = HttpServer(create_http_app(CommandService(spreads=trading), api_access()), "127.0.0.1", 0)
    await server.start()
    try:
        api = f"http://127.0.0.1:{server.port}"
        status, body = await call("GET", f"{api}/spreads")
        assert status == 200
        closed = {s["spread_id"]: s for s in body["spreads"]}["s2"]
        assert closed["state"] == "closed" and closed["funding"] == "-0.25"
        assert Decimal(closed["net_realised"]) == Decimal(2) - Decimal("0.25")  # no fees in these settings
        assert Decimal(body["realised"]) == Decimal(2) - Decimal("0.5")  # s1's half too
        env = environment(**QUIET)
        text = await asyncio.to_thread(tradewind, "spreads", "--api", api, "--token", TOKEN, env=env, cwd=tmp_path)
        assert any(line.startswith("s2  closed") and "funding -0.25" in line for line in text.stdout.splitlines())
    finally:
        await server.stop()
