"""The Binance market streams over a bare WebSocket: requests and their errors, event shapes, depth sequencing."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import MarketUnit, OrderRef, OrderRequest
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings

from .binance_support import LocalDepth, StreamClient, public, rest_levels, serve_binance, stream_client

D = Decimal
# Pumps that never fire during a test: every depth event below comes from a REST snapshot's flush, so it is exact.
STILL = BinanceSpotSettings(depth_interval_ms=3_600_000, fast_depth_interval_ms=3_600_000, max_streams=3)


@pytest.fixture
async def still_server() -> AsyncIterator[Served]:
    served = await serve_binance(SimClock(), STILL)
    yield served
    await served.runner.cleanup()


def _limit(side: Side, qty: str, price: str, symbol: str = "BTCUSDT") -> OrderRequest:
    return OrderRequest(Category.SPOT, symbol, side, OrderType.LIMIT, D(qty), D(price))


def _market(side: Side, qty: str) -> OrderRequest:
    return OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.MARKET, D(qty), market_unit=MarketUnit.BASE)


async def _subscribe(client: StreamClient, *streams: str) -> Any:
    reply, _ = await client.reply_to(await client.request("SUBSCRIBE", list(streams)))
    return reply


async def test_subscribe_list_and_unsubscribe(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    async with stream_client(http, frozen_server) as client:
        assert await _subscribe(client, "btcusdt@depth@100ms", "btcusdt@trade") == {"result": None, "id": 1}
        assert await _subscribe(client, "btcusdt@trade") == {"result": None, "id": 2}  # again: no change, as Binance
        listed, _ = await client.reply_to(await client.request("LIST_SUBSCRIPTIONS"))
        assert listed == {"result": ["btcusdt@depth@100ms", "btcusdt@trade"], "id": 3}
        reply, _ = await client.reply_to(await client.request("UNSUBSCRIBE", ["btcusdt@depth@100ms"]))
        assert reply == {"result": None, "id": 4}
        listed, _ = await client.reply_to(await client.request("LIST_SUBSCRIPTIONS"))
        assert listed["result"] == ["btcusdt@trade"]


async def test_bad_requests_get_binances_error_and_change_nothing(
    still_server: Served, http: aiohttp.ClientSession
) -> None:
    async with stream_client(http, still_server) as client:
        await _subscribe(client, "btcusdt@trade")
        bad: list[tuple[str, int, str]] = [
            ("{not json", 3, "Invalid JSON"),
            ('{"method": "SUBSCRIBE", "params": ["btcusdt@depth@50ms"], "id": 7}', 2, "invalid stream"),
            ('{"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 7}', 2, "invalid stream"),
            ('{"method": "SUBSCRIBE", "params": ["dogeusdt@trade"], "id": 7}', 2, "invalid stream"),
            ('{"method": "SUBSCRIBE", "params": [1], "id": 7}', 2, "must be strings"),
            ('{"method": "SUBSCRIBE", "params": [], "id": 7}', 2, "at least one stream"),
            ('{"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 7}', 2, "params must be an array"),
            ('{"method": "SUBSCRIB", "params": [], "id": 7}', 2, "unknown variant `SUBSCRIB`"),
            ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": -1}', 2, "request ID"),
            ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 7, "x": 1}', 2, "unknown field `x`"),
            ('{"method": "GET_PROPERTY", "params": ["colour"], "id": 7}', 0, "Unknown property"),
            ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 7}', 1, "expected Boolean"),
            (
                '{"method": "SUBSCRIBE", "params": ["btcusdt@ticker", "ethusdt@trade", "ethusdt@ticker"], "id": 7}',
                2,
                "too many streams",
            ),
        ]
        for text, code, words in bad:
            await client.ws.send_str(text)
            reply = await client.recv()
            assert set(reply) == {"error", "id"} and reply["error"]["code"] == code, (text, reply)
            assert words in reply["error"]["msg"], (text, reply)
        listed, _ = await client.reply_to(await client.request("LIST_SUBSCRIPTIONS"))
        assert listed["result"] == ["btcusdt@trade"]


async def test_trade_events(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    venue = frozen_server.venue
    async with stream_client(http, frozen_server) as client:
        await _subscribe(client, "btcusdt@trade")
        venue.place_order("trader-1", _market(Side.BUY, "1.5"))
        venue.place_order("trader-1", _market(Side.SELL, "0.25"))
        trades = [await client.recv() for _ in range(3)]
    now = venue.clock.now_ms()
    expected = [(1, "60010", "1", False), (2, "60020", "0.5", False), (3, "59990", "0.25", True)]
    assert trades == [
        {
            "e": "trade",
            "E": now,
            "s": "BTCUSDT",
            "t": t,
            "p": f"{D(p):.8f}",
            "q": f"{D(q):.8f}",
            "T": now,
            "m": m,
            "M": True,
        }
        for t, p, q, m in expected
    ]


async def test_depth_events_follow_on_and_fit_the_rest_snapshot(
    still_server: Served, http: aiohttp.ClientSession
) -> None:
    venue = still_server.venue
    depth = {"symbol": "BTCUSDT", "limit": 5000}
    async with stream_client(http, still_server) as client:
        await _subscribe(client, "btcusdt@depth")
        _, first, _ = await public(http, still_server, "/api/v3/depth", depth)
        assert first["lastUpdateId"] == 10 and await client.barrier() == []  # nothing changed since subscribing
        venue.place_order("maker", _limit(Side.BUY, "0.5", "59995"))  # seq 11: a new level
        venue.place_order("trader-1", _market(Side.SELL, "0.5"))  # seq 12: ...traded away again
        venue.place_order("trader-1", _market(Side.BUY, "1.25"))  # seq 13
        _, snap, _ = await public(http, still_server, "/api/v3/depth", depth)
        (event,) = await client.barrier()
        assert snap["lastUpdateId"] == 13
        assert event == {
            "e": "depthUpdate",
            "E": venue.clock.now_ms(),
            "s": "BTCUSDT",
            "U": 11,
            "u": 13,
            "b": [],  # 59995 came and went between the two snapshots: no net change
            "a": [["60010.00000000", "0.00000000"], ["60020.00000000", "0.75000000"]],
        }
        # A level that changes after a snapshot and changes back is still reported against that snapshot.
        venue.place_order("maker", _limit(Side.BUY, "0.5", "59995"))  # seq 14
        _, mid, _ = await public(http, still_server, "/api/v3/depth", depth)
        venue.place_order("trader-1", _market(Side.SELL, "0.5"))  # seq 15: 59995 gone again
        _, last, _ = await public(http, still_server, "/api/v3/depth", depth)
        events = await client.barrier()
        assert [(e["U"], e["u"], e["b"]) for e in events] == [
            (14, 14, [["59995.00000000", "0.50000000"]]),
            (15, 15, [["59995.00000000", "0.00000000"]]),
        ]
    for snapshot in (first, snap, mid):
        book = LocalDepth(snapshot)
        for e in [event, *events]:
            book.apply(e)
        assert book.nonce == last["lastUpdateId"] and book.levels() == rest_levels(last)


async def test_an_emptied_book_reaches_the_client_level_by_level(
    still_server: Served, http: aiohttp.ClientSession
) -> None:
    venue = still_server.venue
    async with stream_client(http, still_server) as client:
        await _subscribe(client, "btcusdt@depth@100ms")
        venue.place_order("maker", _limit(Side.BUY, "0.5", "59995"))  # seq 11
        _, before, _ = await public(http, still_server, "/api/v3/depth", {"symbol": "BTCUSDT"})
        maker = venue.account("maker")
        assert maker is not None
        spot = [o.order_id for o in maker.open_orders.values() if o.category is Category.SPOT and o.symbol == "BTCUSDT"]
        for order_id in spot:  # empty the book: seq goes on to 22
            venue.cancel_order("maker", OrderRef(Category.SPOT, "BTCUSDT", order_id=order_id))
        _, after, _ = await public(http, still_server, "/api/v3/depth", {"symbol": "BTCUSDT"})
        events = await client.barrier()
    assert (before["lastUpdateId"], after["lastUpdateId"]) == (11, 22)
    assert after["bids"] == after["asks"] == []
    book = LocalDepth(before)
    for e in events:
        book.apply(e)
    assert book.levels() == ([], [])


async def test_combined_stream_wraps_events_and_can_be_switched(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    venue = frozen_server.venue
    async with stream_client(http, frozen_server, "/stream?streams=btcusdt@trade/ethusdt@bookTicker") as client:
        listed, _ = await client.reply_to(await client.request("LIST_SUBSCRIPTIONS"))
        assert listed["result"] == ["btcusdt@trade", "ethusdt@bookTicker"]
        got, _ = await client.reply_to(await client.request("GET_PROPERTY", ["combined"]))
        assert got == {"result": True, "id": 2}
        venue.place_order("trader-1", _market(Side.BUY, "0.1"))
        wrapped = await client.recv()
        assert (wrapped["stream"], wrapped["data"]["e"], wrapped["data"]["q"]) == (
            "btcusdt@trade",
            "trade",
            "0.10000000",
        )
        reply, _ = await client.reply_to(await client.request("SET_PROPERTY", ["combined", False]))
        assert reply == {"result": None, "id": 3}
        venue.place_order("maker", _limit(Side.BUY, "1", "3000", "ETHUSDT"))
        raw = await client.recv()
        assert raw == {
            "u": venue.engine(Category.SPOT, "ETHUSDT").seq,
            "s": "ETHUSDT",
            "b": "3000.00000000",
            "B": "1.00000000",
            "a": "3001.00000000",
            "A": "10.00000000",
        }


async def test_raw_stream_paths(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    async with stream_client(http, frozen_server, "/ws/ethusdt@ticker") as client:
        event = await client.recv()
        assert (event["e"], event["s"], event["b"], event["a"], event["c"]) == (
            "24hrTicker",
            "ETHUSDT",
            "2999.00000000",
            "3001.00000000",
            "0.00000000",
        )
    async with stream_client(http, frozen_server, "/ws/0") as client:  # ccxt.pro's connection label
        listed, _ = await client.reply_to(await client.request("LIST_SUBSCRIPTIONS"))
        assert listed["result"] == []
    async with http.get(frozen_server.url + "/ws/dogeusdt@trade") as resp:
        assert resp.status == 400
        body = await resp.json()
    assert (body["code"], body["msg"]) == (-1100, "Invalid request: invalid stream")


async def test_the_server_pings_and_drops_a_client_that_never_pongs(http: aiohttp.ClientSession) -> None:
    served = await serve_binance(SimClock(), BinanceSpotSettings(ping_interval_s=0.05))
    try:
        url = served.url.replace("http://", "ws://") + "/ws"
        async with http.ws_connect(url, autoping=False) as ws:
            ping = await ws.receive(timeout=10)
            assert ping.type is aiohttp.WSMsgType.PING
            while (msg := await ws.receive(timeout=10)).type is aiohttp.WSMsgType.PING:
                pass
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    finally:
        await served.runner.cleanup()
