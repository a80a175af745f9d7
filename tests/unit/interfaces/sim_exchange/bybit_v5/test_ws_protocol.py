"""Bybit WebSocket request parsing and the reply shapes of each stream kind."""

import pytest
from pydantic import ValidationError

from tradewind.interfaces.sim_exchange import SimExchangeSettings
from tradewind.interfaces.sim_exchange.bybit_v5.ws_market import next_tick
from tradewind.interfaces.sim_exchange.bybit_v5.ws_private import auth_signature
from tradewind.interfaces.sim_exchange.bybit_v5.ws_protocol import ProtocolError, StreamKind, ack, parse_request, pong
from tradewind.interfaces.sim_exchange.bybit_v5.ws_settings import WebSocketSettings


@pytest.mark.parametrize("req_id", ["7c0d2a3e-uuid-from-pybit", 42])
def test_req_id_is_echoed_unchanged_string_or_int(req_id: object) -> None:
    request = parse_request(f'{{"op":"subscribe","req_id":{req_id!r},"args":["x"]}}'.replace("'", '"'))
    for kind in StreamKind:
        assert ack(kind, "c", request)["req_id"] == req_id
        assert pong(kind, "c", request, 5)["req_id"] == req_id


def test_ack_shapes_per_stream() -> None:
    sub = parse_request('{"op":"subscribe","args":["orderbook.50.BTCUSDT"]}')
    assert ack(StreamKind.SPOT, "c", sub) == {
        "success": True,
        "ret_msg": "subscribe",
        "conn_id": "c",
        "req_id": "",
        "op": "subscribe",
    }
    assert ack(StreamKind.LINEAR, "c", sub) == {
        "success": True,
        "ret_msg": "",
        "conn_id": "c",
        "req_id": "",
        "op": "subscribe",
    }
    assert ack(StreamKind.PRIVATE, "c", sub) == {"success": True, "ret_msg": "", "conn_id": "c", "op": "subscribe"}
    failed = ack(StreamKind.LINEAR, "c", sub, error="error:handler not found,topic:x")
    assert (failed["success"], failed["ret_msg"]) == (False, "error:handler not found,topic:x")


def test_pong_shapes_per_stream() -> None:
    ping = parse_request('{"op":"ping"}')
    assert pong(StreamKind.SPOT, "c", ping, 5) == {"success": True, "ret_msg": "pong", "conn_id": "c", "op": "ping"}
    assert pong(StreamKind.LINEAR, "c", ping, 5) == {
        "success": True, "ret_msg": "pong", "conn_id": "c", "req_id": "", "op": "ping",
    }  # fmt: skip
    assert pong(StreamKind.PRIVATE, "c", ping, 5) == {"op": "pong", "args": ["5"], "conn_id": "c"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json", "invalid json"),
        ("[1, 2]", "JSON object"),
        ('{"op": "subscribe", "args": "orderbook.1.BTCUSDT"}', "args must be a list"),
        ('{"op": "login", "req_id": "r1"}', "invalid op 'login'"),
        ('{"args": []}', "invalid op None"),
    ],
)
def test_malformed_requests_name_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ProtocolError, match=fragment) as info:
        parse_request(text)
    if '"req_id"' in text:
        assert info.value.request.req_id == "r1"


def test_auth_signature_matches_the_reference_vector() -> None:
    expected = "6e7fcee084662c489eaa75b69136dccdf51fd177d87d587d720f623cb74b0258"
    assert auth_signature("SECRET", 1662350400000) == auth_signature("SECRET", "1662350400000") == expected


def test_tick_direction_follows_bybit_naming() -> None:
    ticks = []
    tick, last = None, None
    for price in (100, 101, 101, 99, 99, 100):
        tick = next_tick(tick, last, price)  # type: ignore[arg-type]
        last = price
        ticks.append(tick)
    assert ticks == ["ZeroPlusTick", "PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick", "PlusTick"]


def test_websocket_settings_refuse_bad_depths_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="depth must be >= 1"):
        WebSocketSettings(book_interval_ms={0: 10})
    with pytest.raises(ValidationError, match="push interval"):
        WebSocketSettings(book_interval_ms={50: 0})
    with pytest.raises(ValidationError):
        SimExchangeSettings.model_validate({"websocket": {"book_intervals": {}}})
    assert SimExchangeSettings().websocket.book_interval_ms == {1: 10, 50: 20, 200: 100, 1000: 200}
