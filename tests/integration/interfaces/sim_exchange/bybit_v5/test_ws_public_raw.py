"""The public streams over a real WebSocket, byte by byte: acks, pings, topics, books, trades, tickers."""

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, signed
from tests.support.bybit_ws import LocalBook, raw, serve_ws, topic_is, ws_server
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.application.venue import OrderRequest
from tradewind.domain.matching.events import L2Snapshot
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings

D = Decimal
SPOT, LINEAR = "/v5/public/spot", "/v5/public/linear"


def _ack(m: dict[str, Any]) -> bool:
    return m.get("op") in ("subscribe", "unsubscribe")


async def test_subscribe_acks_have_each_streams_shape_and_echo_req_id(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    async with raw(http, frozen_server, SPOT) as spot, raw(http, frozen_server, LINEAR) as linear:
        await spot.send(op="subscribe", req_id="b6e1c3f0-pybit-uuid", args=["orderbook.50.BTCUSDT"])
        await linear.send(op="subscribe", req_id=17, args=["orderbook.50.BTCUSDT"])
        spot_ack, linear_ack = await spot.recv(), await linear.recv()
        assert spot_ack == {
            "success": True, "ret_msg": "subscribe", "conn_id": spot_ack["conn_id"],
            "req_id": "b6e1c3f0-pybit-uuid", "op": "subscribe",
        }  # fmt: skip
        assert linear_ack == {"success": True, "ret_msg": "", "conn_id": linear_ack["conn_id"], "req_id": 17,
                              "op": "subscribe"}  # fmt: skip
        snapshot = await linear.recv()
        assert (snapshot["topic"], snapshot["type"]) == ("orderbook.50.BTCUSDT", "snapshot")
        assert snapshot["data"]["b"][0] == ["59990", "1"] and snapshot["data"]["a"][0] == ["60010", "1"]


async def test_json_pings_get_their_streams_pong_and_control_frame_pings_are_answered(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    async with raw(http, frozen_server, SPOT, autoping=False) as spot, raw(http, frozen_server, LINEAR) as linear:
        await spot.send(op="ping", req_id="100001")
        await linear.send(op="ping")
        spot_pong, linear_pong = await spot.recv(), await linear.recv()
        assert spot_pong == {"success": True, "ret_msg": "pong", "conn_id": spot_pong["conn_id"], "req_id": "100001",
                             "op": "ping"}  # fmt: skip
        assert linear_pong == {"success": True, "ret_msg": "pong", "conn_id": linear_pong["conn_id"], "req_id": "",
                               "op": "ping"}  # fmt: skip
        await spot.ws.ping(b"are-you-there")
        frame = await spot.ws.receive(timeout=10)
        assert (frame.type, frame.data) == (aiohttp.WSMsgType.PONG, b"are-you-there")


@pytest.mark.parametrize(
    "args",
    [
        ["orderbook.500.BTCUSDT"],  # depth 500 went offline on Bybit
        ["orderbook.50.DOGEUSDT"],
        ["kline.1.BTCUSDT"],
        ["orderbook.50.BTCUSDT", "publicTrade.NOPE"],  # one bad topic fails the whole request
    ],
)
async def test_unknown_topics_fail_and_subscribe_nothing(
    frozen_server: Served, http: aiohttp.ClientSession, args: list[str]
) -> None:
    async with raw(http, frozen_server, LINEAR) as linear:
        await linear.send(op="subscribe", req_id="r9", args=args)
        reply = await linear.recv()
        bad = next(t for t in args if "DOGE" in t or "NOPE" in t or "500" in t or "kline" in t)
        assert reply == {"success": False, "ret_msg": f"error:handler not found,topic:{bad}",
                         "conn_id": reply["conn_id"], "req_id": "r9", "op": "subscribe"}  # fmt: skip
        assert ws_server(frozen_server).public[Category.LINEAR].subscribers("orderbook.50.BTCUSDT") == 0


async def test_malformed_requests_get_a_failure_naming_the_problem(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    async with raw(http, frozen_server, LINEAR) as linear:
        await linear.ws.send_str("{not json")
        assert "invalid json" in (await linear.recv())["ret_msg"]
        await linear.send(op="login", req_id=3)
        reply = await linear.recv()
        assert (reply["success"], reply["req_id"]) == (False, 3) and "invalid op 'login'" in reply["ret_msg"]
        await linear.send(op="subscribe", args=[])
        assert "args is empty" in (await linear.recv())["ret_msg"]
        await linear.send(op="auth", args=["k", 1, "s"])
        assert "not served on the public linear stream" in (await linear.recv())["ret_msg"]


async def test_spot_takes_at_most_10_topics_per_request(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    ten = [f"orderbook.{d}.{s}" for d in (1, 50, 200, 1000) for s in ("BTCUSDT", "ETHUSDT")]
    ten += ["publicTrade.BTCUSDT", "tickers.BTCUSDT"]
    hub = ws_server(frozen_server).public[Category.SPOT]
    async with raw(http, frozen_server, SPOT) as spot:
        await spot.send(op="subscribe", req_id="eleven", args=[*ten, "publicTrade.ETHUSDT"])
        reply = await spot.recv()
        assert (reply["success"], reply["req_id"]) == (False, "eleven") and "over the spot limit of 10" in reply[
            "ret_msg"
        ]
        assert all(hub.subscribers(t) == 0 for t in ten)
        await spot.send(op="subscribe", req_id="ten", args=ten)
        reply, _ = await spot.until(_ack)
        assert (reply["success"], reply["req_id"]) == (True, "ten")
        assert all(hub.subscribers(t) == 1 for t in ten)


async def test_an_unsubscribed_connection_gets_no_more_deltas(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    venue = frozen_server.venue
    topic = "orderbook.50.BTCUSDT"
    async with raw(http, frozen_server, LINEAR) as quitter, raw(http, frozen_server, LINEAR) as witness:
        for client in (quitter, witness):
            await client.send(op="subscribe", args=[topic])
            await client.until(topic_is(topic))
        await quitter.send(op="unsubscribe", req_id="u1", args=[topic])
        reply, _ = await quitter.until(_ack)
        assert reply == {"success": True, "ret_msg": "", "conn_id": reply["conn_id"], "req_id": "u1",
                         "op": "unsubscribe"}  # fmt: skip
        venue.place_order("maker", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D(1), D(59995)))
        delta, _ = await witness.until(topic_is(topic))
        assert delta["type"] == "delta"
        # The delta was queued to every subscriber at once; the quitter's pong comes after anything queued to it.
        await quitter.send(op="ping")
        _, before_pong = await quitter.until(lambda m: m.get("ret_msg") == "pong")
        assert before_pong == []
        await quitter.send(op="unsubscribe", req_id="u2", args=[topic])
        assert (await quitter.recv())["ret_msg"] == f"error:not subscribed,topic:{topic}"


async def test_depth_1_is_snapshot_only_and_resent_unchanged(http: aiohttp.ClientSession) -> None:
    served = await serve_ws(SimClock(), WebSocketSettings(depth1_refresh_ms=30))
    try:
        async with raw(http, served, SPOT) as spot:
            await spot.send(op="subscribe", args=["orderbook.1.BTCUSDT"])
            first, _ = await spot.until(topic_is("orderbook.1.BTCUSDT"))
            again = await spot.recv()  # nothing changes: the refresh
            order = OrderRequest(Category.SPOT, "BTCUSDT", Side.SELL, OrderType.LIMIT, D("0.5"), D(60005))
            served.venue.place_order("maker", order)
            moved, _ = await spot.until(lambda m: m["data"]["a"][0][0] == "60005")
        assert first["type"] == again["type"] == moved["type"] == "snapshot"
        assert again["data"] == first["data"]  # same levels, same u and seq
        assert first["data"]["b"] == [["59990", "1"]] and first["data"]["a"] == [["60010", "1"]]
        assert moved["data"]["a"] == [["60005", "0.5"]] and moved["data"]["u"] > first["data"]["u"]
    finally:
        await served.runner.cleanup()


async def test_a_reset_sends_a_snapshot_with_u_1_then_deltas_count_on(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    venue, server = frozen_server.venue, ws_server(frozen_server)
    engine = venue.engine(Category.LINEAR, "BTCUSDT")
    topics = ["orderbook.50.BTCUSDT", "orderbook.200.BTCUSDT"]
    async with raw(http, frozen_server, LINEAR) as linear:
        await linear.send(op="subscribe", args=topics)
        for topic in topics:
            await linear.until(topic_is(topic))
        assert server.reset_book(Category.LINEAR, "BTCUSDT") == 2
        resets = [(await linear.until(topic_is(t)))[0] for t in topics]
        assert [(m["type"], m["data"]["u"], m["data"]["seq"]) for m in resets] == [("snapshot", 1, engine.seq)] * 2
        venue.place_order("maker", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D(1), D(59995)))
        delta, _ = await linear.until(topic_is(topics[0]))
        assert (delta["type"], delta["data"]["u"], delta["data"]["seq"]) == ("delta", 2, engine.seq)
    with pytest.raises(KeyError, match="DOGEUSDT"):
        server.reset_book(Category.LINEAR, "DOGEUSDT")


@pytest.fixture
async def unlimited_server() -> AsyncIterator[Served]:
    """On wall time (clients sign with it), REST rate limits off: the test sends orders as fast as it can."""
    fast = WebSocketSettings(book_interval_ms={50: 1})  # a push per millisecond: many small deltas
    served = await serve_ws(WallClock(), fast, limits=False)
    yield served
    await served.runner.cleanup()


async def test_the_book_built_from_the_stream_equals_the_engine_at_every_seq_and_rest_at_the_end(
    unlimited_server: Served, http: aiohttp.ClientSession
) -> None:
    wall_server = unlimited_server
    venue = wall_server.venue
    maker = venue.account("maker")
    assert maker is not None
    engines = {c: venue.engine(c, "BTCUSDT") for c in Category}
    truth: dict[Category, dict[int, L2Snapshot]] = {c: {e.seq: e.snapshot(50)} for c, e in engines.items()}

    def record(inst: Any, report: Any) -> None:
        truth[inst.category][report.seq] = engines[inst.category].snapshot(50)

    venue.add_report_listener(record)
    books = {c: LocalBook(e.instrument) for c, e in engines.items()}
    rng = random.Random(7)
    async with raw(http, wall_server, SPOT) as spot, raw(http, wall_server, LINEAR) as linear:
        clients = {Category.SPOT: spot, Category.LINEAR: linear}
        for category, client in clients.items():
            await client.send(op="subscribe", args=["orderbook.50.BTCUSDT"])
            books[category].take((await client.until(topic_is("orderbook.50.BTCUSDT")))[0])
        for n in range(150):  # REST orders, takers and cancels: levels enter, change and leave the top 50
            category = rng.choice(list(Category))
            base = {"category": category.value, "symbol": "BTCUSDT"}
            if n % 5 == 4:
                live = [
                    o.order_id for o in maker.open_orders.values() if (o.category, o.symbol) == (category, "BTCUSDT")
                ]
                path, body = "/v5/order/cancel", {**base, "orderId": rng.choice(live)}
            elif n % 7 == 6:
                side = rng.choice(["Buy", "Sell"])
                path, body = "/v5/order/create", {**base, "side": side, "orderType": "Market", "qty": "0.5"}
                if category is Category.SPOT:
                    body["marketUnit"] = "baseCoin"
            else:
                side = rng.choice(["Buy", "Sell"])
                away = rng.randrange(1, 70) * 10
                price = 60_000 - away if side == "Buy" else 60_000 + away
                path, body = "/v5/order/create", {**base, "side": side, "orderType": "Limit",
                                                  "qty": rng.choice(["0.01", "0.02"]), "price": str(price)}  # fmt: skip
            _, reply, _ = await signed(http, wall_server, "POST", path, body, key="maker")
            assert reply["retCode"] == 0, reply
        for category, client in clients.items():
            engine, book = engines[category], books[category]
            # One last order inside the spread, so the final state is surely in the top 50 and published.
            bid = engine.instrument.ticks_to_price(engine.best_bid() or 0) + engine.instrument.tick_size
            last = {"category": category.value, "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                    "qty": "0.01", "price": str(bid)}  # fmt: skip
            assert (await signed(http, wall_server, "POST", "/v5/order/create", last, key="maker"))[1]["retCode"] == 0
            while book.seq < engine.seq:
                message, _ = await client.until(topic_is("orderbook.50.BTCUSDT"))
                book.take(message)
                assert book.as_snapshot() == truth[category][book.seq]
            url = f"{wall_server.url}/v5/market/orderbook?category={category.value}&symbol=BTCUSDT&limit=50"
            async with http.get(url) as resp:
                rest = (await resp.json())["result"]
            assert (rest["u"], rest["seq"]) == (book.u, book.seq)
            assert {D(p): D(q) for p, q in rest["b"]} == book.bids and {D(p): D(q) for p, q in rest["a"]} == book.asks


async def test_public_trades_and_tickers_follow_a_fill(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    venue = frozen_server.venue
    async with raw(http, frozen_server, LINEAR) as linear, raw(http, frozen_server, SPOT) as spot:
        await linear.send(op="subscribe", args=["publicTrade.BTCUSDT", "tickers.BTCUSDT"])
        await spot.send(op="subscribe", args=["tickers.ETHUSDT"])
        first, _ = await linear.until(topic_is("tickers.BTCUSDT"))
        spot_first, _ = await spot.until(topic_is("tickers.ETHUSDT"))
        assert first["type"] == "snapshot" and first["data"]["bid1Price"] == "59990"
        assert spot_first["type"] == "snapshot" and "bid1Price" not in spot_first["data"]
        venue.place_order("trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1.5")))
        trades, _ = await linear.until(topic_is("publicTrade.BTCUSDT"))
        rows = [(t["S"], t["p"], t["v"]) for t in trades["data"]]
        assert rows == [("Buy", "60010", "1"), ("Buy", "60020", "0.5")]
        assert [t["L"] for t in trades["data"]] == ["ZeroPlusTick", "PlusTick"]
        recent = venue.tape(Category.LINEAR, "BTCUSDT").recent(2)
        assert [t["i"] for t in trades["data"]] == [t.exec_id for t in reversed(recent)]
        delta, _ = await linear.until(lambda m: m.get("topic") == "tickers.BTCUSDT" and "lastPrice" in m["data"])
        assert delta["type"] == "delta"
        assert (delta["data"]["lastPrice"], delta["data"]["ask1Price"], delta["data"]["volume24h"]) == (
            "60020",
            "60020",
            "1.5",
        )
        assert "symbol" in delta["data"] and "fundingRate" not in delta["data"]  # only what changed
