"""Hostile input to the Bybit face over real HTTP and WebSocket: Bybit's parameter codes, never 10016 or a crash."""

import asyncio
import contextlib
import json
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, seeded_venue, signed
from tests.support.bybit_ws import raw, serve_ws, ws_server
from tests.support.waiting import wait_for
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings

ORDER = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "59000"}
YEAR_MS = 365 * 86_400_000


def _orders(served: Served) -> int:
    account = served.venue.account("trader-1")
    assert account is not None
    return len(account.open_orders) + len(account.history)


@pytest.mark.parametrize(
    "change",
    [
        {"qty": "1e22"},
        {"price": "1e22"},
        {"qty": 1e22},
        {"qty": "1" * 30},
        {"qty": "\u0661"},  # Arabic-Indic one: Decimal() reads it as 1
        {"qty": "1_0"},  # Decimal() reads it as 10
        {"qty": "Infinity"},
        {"qty": [[[["1"]]]]},
    ],
    ids=[
        "qty-1e22",
        "price-1e22",
        "qty-float-1e22",
        "qty-30-digits",
        "qty-arabic-indic-one",
        "qty-1_0",
        "qty-Infinity",
        "qty-nested",
    ],
)
async def test_out_of_range_or_non_ascii_numbers_are_params_errors(
    frozen_server: Served, http: aiohttp.ClientSession, change: dict[str, Any]
) -> None:
    before = _orders(frozen_server)
    status, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", {**ORDER, **change})
    assert (status, body["retCode"]) == (200, 10001), body
    assert body["retMsg"].startswith("params error: ")
    assert _orders(frozen_server) == before


@pytest.mark.parametrize("name", ["limit", "cursor"])
async def test_a_4400_digit_limit_or_cursor_is_a_params_error(
    frozen_server: Served, http: aiohttp.ClientSession, name: str
) -> None:
    query = {"category": "spot", name: "9" * 4400}
    status, body, _ = await signed(http, frozen_server, "GET", "/v5/order/realtime", query)
    assert (status, body["retCode"]) == (200, 10001), body
    assert name in body["retMsg"]


async def test_a_body_nested_100000_deep_is_a_params_error(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    status, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", {}, body=nested)
    assert (status, body["retCode"]) == (200, 10001), body
    assert "nested" in body["retMsg"]


async def test_a_body_over_one_mebibyte_is_http_413(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    before = _orders(frozen_server)
    big = json.dumps({**ORDER, "pad": "x" * (1024**2 + 1)})
    status, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", {}, body=big)
    assert (status, body["retCode"]) == (413, 10001), body
    assert _orders(frozen_server) == before


async def test_a_huge_recv_window_cannot_let_a_year_old_request_through(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    old = frozen_server.venue.clock.now_ms() - YEAR_MS
    before = _orders(frozen_server)
    _, body, _ = await signed(
        http, frozen_server, "POST", "/v5/order/create", ORDER, timestamp=old, recv_window=999_999_999_999_999
    )
    assert body["retCode"] == 10001, body
    assert "X-BAPI-RECV-WINDOW" in body["retMsg"]
    _, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", ORDER, recv_window=60_000)
    assert body["retCode"] == 0  # the cap itself is accepted
    assert _orders(frozen_server) == before + 1


async def test_the_same_signed_order_sent_three_times_makes_one_order(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    before = _orders(frozen_server)
    codes = [(await signed(http, frozen_server, "POST", "/v5/order/create", ORDER))[1]["retCode"] for _ in range(3)]
    assert codes == [0, 10002, 10002]
    assert _orders(frozen_server) == before + 1


async def test_a_replayed_signature_is_forgotten_once_out_of_window(http: aiohttp.ClientSession) -> None:
    clock = SimClock()
    served = await serve_ws(clock)
    try:
        ts = clock.now_ms()
        first = await signed(http, served, "POST", "/v5/order/create", ORDER, timestamp=ts)
        await clock.advance(5.001)
        again = await signed(http, served, "POST", "/v5/order/create", ORDER, timestamp=ts)
    finally:
        await served.runner.cleanup()
    assert (first[1]["retCode"], again[1]["retCode"]) == (0, 10002)  # too old now: the time check refuses it
    assert "duplicate" not in again[1]["retMsg"]


async def test_ws_auth_with_expires_a_year_ahead_is_refused(wall_server: Served, http: aiohttp.ClientSession) -> None:
    async with raw(http, wall_server, "/v5/private") as client:
        reply = await client.auth("trader-1", int(time.time() * 1000) + YEAR_MS)
        assert reply["success"] is False
        assert reply["ret_msg"].startswith("Params Error: expires")
        ok = await client.auth("trader-1", int(time.time() * 1000) + 10_000)  # ccxt.pro's 10 s still works
        assert ok["success"] is True


async def test_ws_auth_with_arabic_indic_expires_is_refused(wall_server: Served, http: aiohttp.ClientSession) -> None:
    async with raw(http, wall_server, "/v5/private") as client:
        expires = str(int(time.time() * 1000) + 5000).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        reply = await client.auth("trader-1", expires)
        assert reply["success"] is False


async def test_a_deeply_nested_ws_frame_gets_an_error_reply_and_the_connection_lives(
    wall_server: Served, http: aiohttp.ClientSession
) -> None:
    async with raw(http, wall_server, "/v5/public/spot") as client:
        await client.ws.send_str("[" * 100_000 + "]" * 100_000)
        reply = await client.recv()
        assert reply["success"] is False
        assert "nested" in reply["ret_msg"]
        await client.send(op="ping", req_id="after")
        pong = await client.recv()
        assert (pong["ret_msg"], pong["req_id"]) == ("pong", "after")


@pytest.mark.parametrize("frame_bytes", [2 * 1024**2, 5 * 1024**2])
async def test_a_ws_frame_over_the_limit_is_closed_with_1009(
    wall_server: Served, http: aiohttp.ClientSession, frame_bytes: int
) -> None:
    async with raw(http, wall_server, "/v5/public/spot", max_msg_size=0) as client:
        # The server stops reading at the frame's header, so the rest of a large frame may meet a reset socket.
        with contextlib.suppress(ConnectionError):
            await client.ws.send_str(json.dumps({"op": "ping", "pad": "x" * frame_bytes}))
        msg = await client.ws.receive(timeout=10)
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1009), msg


async def test_a_slow_client_that_stopped_reading_is_cut_off_at_once() -> None:
    served = await serve_ws(WallClock(), WebSocketSettings(send_queue_limit=5))
    host, port = served.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET /v5/public/spot HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
    server = ws_server(served)
    await wait_for(lambda: len(server.sessions()) == 1)
    (session,) = server.sessions()
    try:
        # The client reads nothing more: the socket fills, the writer blocks, the queue overflows.
        chunk = "x" * 65_536
        for _ in range(5_000):
            if not session.open:
                break
            session.send(chunk)
            await asyncio.sleep(0)
        assert not session.open
        await wait_for(lambda: server.sessions() == [])  # before: open until the idle timeout, 10 minutes
    finally:
        writer.close()
        await served.runner.cleanup()


async def test_the_number_maximum_is_configured(http: aiohttp.ClientSession) -> None:
    venue = seeded_venue(SimClock())
    app = create_sim_exchange_app(venue, SimExchangeSettings(port=0, max_number=Decimal(100_000)))
    runner, port = await start_server(app, "127.0.0.1", 0)
    served = Served(venue, f"http://127.0.0.1:{port}", runner)
    try:
        _, under, _ = await signed(http, served, "POST", "/v5/order/create", ORDER)
        _, over, _ = await signed(http, served, "POST", "/v5/order/create", {**ORDER, "price": "100001"})
    finally:
        await runner.cleanup()
    assert (under["retCode"], over["retCode"]) == (0, 10001)
    assert "no larger than 100,000" in over["retMsg"]
