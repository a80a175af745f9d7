"""Stream faults over a real WebSocket: a late private report (the REST answer first, the stream later, in order)
and a stalled public stream (nothing sent for a while, then everything, in order, on the same connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from tests.support.bybit_server import Served, serve, signed
from tests.support.bybit_ws import raw, topic_is, ws_server
from tests.support.faults import put_faults
from tests.support.waiting import wait_for
from tradewind.adapters.clock import WallClock
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.bybit_v5 import WebSocketSettings
from tradewind.interfaces.sim_exchange.faults.admin import FAULTS

D = Decimal
ORDER = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "59000"}


@pytest.fixture
async def contiguous_server() -> AsyncIterator[Served]:
    served = await serve(WallClock(), websocket=WebSocketSettings(book_u_contiguous=True))
    yield served
    await served.runner.cleanup()


async def test_a_late_report_comes_after_the_rest_answer_and_the_stream_keeps_its_order(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    rule = {"kind": "late_report", "account": "trader-1", "route": "order", "count": 1, "params": {"delay_ms": 1500}}
    async with raw(http, sim_server, "/v5/private") as client:
        await client.auth("trader-1", sim_server.venue.clock.now_ms() + 10_000)
        await client.send(op="subscribe", req_id="s1", args=["order"])
        await client.until(lambda m: m.get("op") == "subscribe")
        await put_faults(http, sim_server, [rule])
        (session,) = ws_server(sim_server).private.sessions
        _, first, _ = await signed(http, sim_server, "POST", "/v5/order/create", {**ORDER, "orderLinkId": "late-1"})
        assert first["retCode"] == 0
        assert len(session._late) == 1 and session.sent == 2  # acknowledged over REST; the stream still holds it
        _, second, _ = await signed(http, sim_server, "POST", "/v5/order/create", {**ORDER, "orderLinkId": "late-2"})
        assert second["retCode"] == 0 and len(session._late) == 2  # queued behind the late one, not ahead of it
        one, _ = await client.until(topic_is("order"))
        two, _ = await client.until(topic_is("order"))
    assert [one["data"][0]["orderLinkId"], two["data"][0]["orderLinkId"]] == ["late-1", "late-2"]


async def test_a_stalled_book_stream_sends_nothing_then_everything_in_order_without_closing(
    contiguous_server: Served, http: aiohttp.ClientSession
) -> None:
    served = contiguous_server
    topic = "orderbook.50.BTCUSDT"
    async with raw(http, served, "/v5/public/linear") as client:
        await client.send(op="subscribe", req_id="b1", args=[topic])
        snapshot, _ = await client.until(topic_is(topic))
        await put_faults(http, served, [{"kind": "stall", "route": topic, "count": 1, "params": {"stall_ms": 1000}}])
        (session,) = ws_server(served).public[Category.LINEAR].sessions
        for n in range(4):
            request = OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.05"), D(59_991 + n))
            served.venue.place_order("maker", request)
            await wait_for(lambda queued=n + 1: len(session._queue) == queued)  # pushed, and held by the stall
        assert served.runner.app[FAULTS].rules[0].fired == 1
        assert session.sent == 2  # the ack and the snapshot: the stall holds every delta since
        us = []
        for _ in range(4):
            delta, _ = await client.until(topic_is(topic))
            us.append(delta["data"]["u"])
        assert not client.ws.closed
    assert us == [snapshot["data"]["u"] + k for k in range(1, 5)]
