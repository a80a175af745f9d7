"""Hostile input to the Binance face: bounded numbers, replayed signatures, nested frames; Binance's codes, no 5xx."""

from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served

from .binance_support import signed, state_of

ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "59000",
}


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": "\u0661"},  # Arabic-Indic one
        {"quantity": "1_0"},
        {"quantity": "1e22"},
        {"price": "12345678901234567890.123456789"},  # Binance's pattern, but 29 significant digits
        {"quantity": "0.01\n"},
    ],
)
async def test_numbers_outside_the_parser_are_illegal_characters(
    frozen_server: Served, http: aiohttp.ClientSession, change: dict[str, Any]
) -> None:
    before = state_of(frozen_server.venue)
    status, body, _ = await signed(http, frozen_server, "POST", "/api/v3/order", {**ORDER, **change})
    assert (status, body["code"]) == (400, -1100), body
    assert state_of(frozen_server.venue) == before


async def test_a_4400_digit_order_id_is_illegal_characters(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    status, body, _ = await signed(
        http, frozen_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "9" * 4400}
    )
    assert (status, body["code"]) == (400, -1100), body


async def test_the_same_signed_order_sent_three_times_makes_one_order(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    replies = [await signed(http, frozen_server, "POST", "/api/v3/order", ORDER) for _ in range(3)]
    assert [(status, body.get("code")) for status, body, _ in replies] == [(200, None), (400, -1021), (400, -1021)]
    assert "duplicate request" in replies[1][1]["detail"]
    account = frozen_server.venue.account("trader-1")
    assert account is not None and len(account.open_orders) == 1


async def test_a_recv_window_over_60000_is_refused(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    old = frozen_server.venue.clock.now_ms() - 365 * 86_400_000
    status, body, _ = await signed(
        http, frozen_server, "POST", "/api/v3/order", {**ORDER, "recvWindow": "999999999999999"}, timestamp=old
    )
    assert (status, body["code"]) == (400, -1131), body


async def test_a_nested_stream_request_is_an_error_reply_not_a_crash(
    wall_server: Served, http: aiohttp.ClientSession
) -> None:
    url = wall_server.url.replace("http://", "ws://") + "/ws"
    async with http.ws_connect(url) as ws:
        await ws.send_str("[" * 100_000 + "]" * 100_000)
        reply = await ws.receive_json(timeout=10)
        assert reply["error"]["code"] == 3
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 7})
        listed = await ws.receive_json(timeout=10)
        assert listed["id"] == 7
