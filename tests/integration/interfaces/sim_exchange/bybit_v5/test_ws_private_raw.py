"""The private stream over a real WebSocket: auth, topics, and one operation's events in Bybit's order."""

from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, signed
from tests.support.bybit_ws import raw, topic_is, ws_server
from tests.support.waiting import wait_for
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side

D = Decimal
PRIVATE = "/v5/private"


async def test_auth_accepts_expires_as_int_or_string(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    future = frozen_server.venue.clock.now_ms() + 1000
    assert not ws_server(frozen_server).private.listening
    async with raw(http, frozen_server, PRIVATE) as pybit_like, raw(http, frozen_server, PRIVATE) as ccxt_like:
        int_reply = await pybit_like.auth("trader-1", future)
        str_reply = await ccxt_like.auth("trader-2", str(future))
        assert ws_server(frozen_server).private.listening
    assert int_reply == {"success": True, "ret_msg": "", "conn_id": int_reply["conn_id"], "op": "auth"}
    assert str_reply["success"] is True
    hub = ws_server(frozen_server).private
    await wait_for(lambda: not hub.listening)  # the last authenticated connection closed: REST pays nothing


@pytest.mark.parametrize(
    ("key", "expires_in", "secret", "fragment"),
    [
        ("trader-1", 1000, "wrong-secret", "signature verification failed"),
        ("trader-1", 0, None, "request expired"),
        ("trader-1", -5000, None, "request expired"),
        ("nobody", 1000, None, "API key is invalid"),
    ],
)
async def test_auth_failures_say_why_and_leave_the_connection_unauthenticated(  # noqa: PLR0917
    frozen_server: Served, http: aiohttp.ClientSession, key: str, expires_in: int, secret: str | None, fragment: str
) -> None:
    expires = frozen_server.venue.clock.now_ms() + expires_in
    async with raw(http, frozen_server, PRIVATE) as client:
        reply = await client.auth(key, expires, secret)
        assert (reply["success"], reply["op"]) == (False, "auth") and fragment in reply["ret_msg"]
        assert reply["request"]["op"] == "auth"  # lets ccxt.pro raise AuthenticationError
        await client.send(op="subscribe", req_id="s1", args=["order"])
        refused = await client.recv()
        assert (refused["success"], refused["req_id"]) == (False, "s1") and "not authenticated" in refused["ret_msg"]
    assert ws_server(frozen_server).private.subscribers(key, "order") == 0


async def test_malformed_auth_args_are_refused(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    async with raw(http, frozen_server, PRIVATE) as client:
        await client.send(op="auth", args=["trader-1", "soon", "abc"])
        assert "expires must be epoch ms" in (await client.recv())["ret_msg"]
        await client.send(op="auth", args=["trader-1"])
        assert "got 1 values" in (await client.recv())["ret_msg"]


async def test_private_pong_and_subscribe_ack_have_the_private_shape(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    async with raw(http, frozen_server, PRIVATE) as client:
        await client.send(op="ping", req_id="test")
        pong = await client.recv()
        assert pong == {"req_id": "test", "op": "pong", "args": [str(frozen_server.venue.clock.now_ms())],
                        "conn_id": pong["conn_id"]}  # fmt: skip
        await client.auth("trader-1", frozen_server.venue.clock.now_ms() + 1000)
        await client.send(op="subscribe", req_id=5, args=["order", "execution"])
        ack = await client.recv()
        assert ack == {"success": True, "ret_msg": "", "conn_id": pong["conn_id"], "req_id": 5, "op": "subscribe"}
        await client.send(op="subscribe", args=["order.spot", "order.linear"])  # per-category forms together: fine
        assert (await client.recv())["success"] is True
        await client.send(op="subscribe", args=["wallet", "position.spot"])
        assert (await client.recv())["ret_msg"] == "error:handler not found,topic:position.spot"
        await client.send(op="subscribe", args=["position", "position.linear"])
        assert "cannot be subscribed in one request" in (await client.recv())["ret_msg"]


async def test_a_fill_arrives_as_execution_order_position_wallet_for_the_account_only(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    now = frozen_server.venue.clock.now_ms()
    topics = ["wallet", "position", "order", "execution"]
    async with raw(http, frozen_server, PRIVATE) as mine, raw(http, frozen_server, PRIVATE) as other:
        await mine.auth("trader-1", now + 1000)
        await other.auth("trader-2", now + 1000)
        for client in (mine, other):
            await client.send(op="subscribe", args=topics)
            assert (await client.recv())["success"] is True
        order = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}
        _, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", order)
        assert body["retCode"] == 0, body
        messages = [await mine.recv() for _ in range(4)]
        await other.send(op="ping")
        _, before_pong = await other.until(lambda m: m.get("op") == "pong")
    assert [m["topic"] for m in messages] == ["execution", "order", "position", "wallet"]
    assert before_pong == []  # trader-2 hears nothing of trader-1's trade
    (execution,) = messages[0]["data"]
    (order_row,) = messages[1]["data"]
    (position,) = messages[2]["data"]
    (wallet,) = messages[3]["data"]
    assert (execution["category"], execution["execQty"], execution["execPrice"]) == ("linear", "0.01", "60010")
    assert execution["orderId"] == order_row["orderId"] == body["result"]["orderId"]
    assert (order_row["orderStatus"], order_row["cumExecQty"], order_row["category"]) == ("Filled", "0.01", "linear")
    assert (position["side"], position["size"], position["entryPrice"]) == ("Buy", "0.01", "60010")
    assert wallet["accountType"] == "UNIFIED" and any(c["coin"] == "USDT" for c in wallet["coin"])
    assert all(isinstance(m["creationTime"], int) and m["id"] for m in messages)


async def test_per_category_topics_carry_only_their_category(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    venue = frozen_server.venue
    async with raw(http, frozen_server, PRIVATE) as client:
        await client.auth("trader-1", venue.clock.now_ms() + 1000)
        await client.send(op="subscribe", args=["order.spot"])
        await client.recv()
        venue.place_order(
            "trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D(50_000))
        )
        venue.place_order(
            "trader-1", OrderRequest(Category.SPOT, "ETHUSDT", Side.BUY, OrderType.LIMIT, D("0.1"), D(2_000))
        )
        message: dict[str, Any] = await client.recv()
    assert message["topic"] == "order.spot"
    assert [(r["symbol"], r["category"], r["orderStatus"]) for r in message["data"]] == [("ETHUSDT", "spot", "New")]


async def test_an_unsubscribed_topic_stops(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    venue = frozen_server.venue
    async with raw(http, frozen_server, PRIVATE) as client:
        await client.auth("trader-1", venue.clock.now_ms() + 1000)
        await client.send(op="subscribe", args=["order", "wallet"])
        await client.recv()
        await client.send(op="unsubscribe", req_id="x", args=["wallet"])
        assert (await client.recv())["req_id"] == "x"
        venue.place_order(
            "trader-1", OrderRequest(Category.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D(50_000))
        )
        first = await client.recv()
        await client.send(op="ping")
        _, between = await client.until(lambda m: m.get("op") == "pong")
    assert first["topic"] == "order" and between == []
    assert ws_server(frozen_server).private.subscribers("trader-1", "order") == 0  # the connection is gone


async def test_a_public_order_book_sees_the_private_order(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    venue = frozen_server.venue
    async with raw(http, frozen_server, PRIVATE) as private, raw(http, frozen_server, "/v5/public/spot") as public:
        await private.auth("trader-1", venue.clock.now_ms() + 1000)
        await private.send(op="subscribe", args=["order"])
        await private.recv()
        await public.send(op="subscribe", args=["orderbook.50.BTCUSDT"])
        await public.until(topic_is("orderbook.50.BTCUSDT"))
        venue.place_order(
            "trader-1", OrderRequest(Category.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D(59_995))
        )
        order = await private.recv()
        delta, _ = await public.until(topic_is("orderbook.50.BTCUSDT"))
    assert order["data"][0]["price"] == "59995"
    assert delta["data"]["b"] == [["59995", "0.01"]]
