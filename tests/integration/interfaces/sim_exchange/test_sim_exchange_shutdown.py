"""Stopping the sim-exchange while clients are subscribed closes their streams without an error in the server."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from tests.support.bybit_server import seeded_venue
from tradewind.adapters.clock import WallClock
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server

SUBSCRIBE = {
    "bybit": ("/v5/public/spot", {"op": "subscribe", "args": ["orderbook.50.BTCUSDT", "publicTrade.BTCUSDT"]}),
    "binance": ("/ws", {"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms", "btcusdt@trade"], "id": 1}),
}


@pytest.mark.parametrize("protocol", sorted(SUBSCRIBE))
async def test_shutdown_with_subscribed_clients_logs_no_error(protocol: str, caplog: pytest.LogCaptureFixture) -> None:
    runner, port = await start_server(
        create_sim_exchange_app(seeded_venue(WallClock()), SimExchangeSettings(port=0)), "127.0.0.1", 0
    )
    path, request = SUBSCRIBE[protocol]
    async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{port}{path}") as ws:
        await ws.send_str(json.dumps(request))
        await ws.receive(timeout=10)  # the subscription's answer: the streams are live
        with caplog.at_level(logging.ERROR):
            await runner.cleanup()
            closing = await ws.receive(timeout=10)
            while closing.type is aiohttp.WSMsgType.TEXT:  # data pushed before the close
                closing = await ws.receive(timeout=10)
            await asyncio.sleep(0.05)  # let the server's handler finish
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
