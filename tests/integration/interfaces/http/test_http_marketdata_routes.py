"""The HTTP API on loopback: subscribe, list and unsubscribe markets at run time; bad input is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.bybit_server import Served
from tests.support.http_api import api_access, call, post_raw
from tests.support.waiting import eventually
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt.bybit_ws import BybitPublicStream
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.interfaces.http import HttpServer, create_http_app

BODY = {"exchange": "bybit", "category": "spot", "symbol": "BTCUSDT", "matching_key": "btc"}


@pytest.fixture
async def api(sim_server: Served) -> AsyncIterator[str]:
    bus = InMemoryBus()
    await bus.start()
    ws = sim_server.url.replace("http://", "ws://")
    stream = BybitPublicStream(lambda c: f"{ws}/v5/public/{c.value}", contiguous_u=False)
    service = MarketDataService(bus, WallClock(), {"bybit": stream})
    server = HttpServer(create_http_app(CommandService(market_data=service), api_access()), "127.0.0.1", 0)
    port = await server.start()
    yield f"http://127.0.0.1:{port}"
    await server.stop()
    await service.close()
    await bus.close()


async def test_subscribe_list_and_unsubscribe_over_http(api: str) -> None:
    assert await call("GET", f"{api}/healthz") == (200, {"status": "ok"})
    status, created = await call("POST", f"{api}/subscribe", BODY)
    assert status == 200 and created["matching_key"] == "btc"

    async def listing() -> list[dict[str, Any]]:
        return (await call("GET", f"{api}/subscriptions"))[1]  # type: ignore[no-any-return]

    (row,) = await eventually(listing, lambda rows: bool(rows) and rows[0]["synced"])
    assert (row["symbol"], row["stale"], row["updates"] >= 1) == ("BTCUSDT", False, True)
    status, book = await call("GET", f"{api}/book?exchange=bybit&category=spot&symbol=BTCUSDT&depth=2")
    # The seeded book: 5 levels a side, 10 apart, around 60 000 (tests/support/bybit_server.py).
    assert status == 200 and (book["stale"], book["matching_key"]) == (False, "btc")
    assert (book["bids"], book["asks"]) == ([["59990", "1"], ["59980", "1"]], [["60010", "1"], ["60020", "1"]])
    assert (await call("POST", f"{api}/unsubscribe", BODY))[0] == 200
    assert await listing() == []


async def test_bad_subscriptions_are_refused_with_the_reason_and_change_nothing(api: str) -> None:
    status, body = await call("POST", f"{api}/subscribe", {**BODY, "exchange": "kraken"})
    assert status == 400 and "kraken" in body["detail"]
    status, _ = await call("POST", f"{api}/subscribe", {**BODY, "category": "option"})
    assert status == 422
    status, body = await call("POST", f"{api}/unsubscribe", BODY)
    assert status == 404 and "not subscribed" in body["detail"]
    assert (await call("GET", f"{api}/subscriptions"))[1] == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "true", "2.7", '"1_0"', '"\u0661"'])
async def test_a_bad_depth_is_a_json_422_naming_the_field(api: str, literal: str) -> None:
    text = json.dumps(BODY)[:-1] + f', "depth": {literal}}}'
    status, body = await post_raw(f"{api}/subscribe", text)
    assert status == 422 and "'depth'" in body["detail"] and "whole number" in body["detail"]
    assert (await call("GET", f"{api}/subscriptions"))[1] == []
    status, body = await call("GET", f"{api}/book?exchange=bybit&category=spot&symbol=BTCUSDT&depth=1_0")
    assert status == 422 and "'depth'" in body["detail"]
