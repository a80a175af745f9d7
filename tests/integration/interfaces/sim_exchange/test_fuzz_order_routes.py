"""Fuzz: free-form JSON bodies and query values on both faces' order routes never give a 5xx or Bybit's 10016."""

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.bybit_server import Served, secret_of, serve
from tradewind.adapters.clock import WallClock
from tradewind.interfaces.sim_exchange.binance_spot.auth import sign_query
from tradewind.interfaces.sim_exchange.bybit_v5.auth import sign_request

_NUMBERS = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e22", "1e400000000", "\u0661", "1_0", "NaN", "-0", "0.001", "59000", "9" * 5000, " 1 "]),
    st.text(max_size=30),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner), max_leaves=6
)
_KEYS = st.sampled_from(
    ["category", "symbol", "side", "orderType", "qty", "price", "timeInForce", "orderLinkId", "orderId",
     "marketUnit", "reduceOnly", "positionIdx", "takeProfit", "stopLoss", "isLeverage", "limit", "cursor"]
)  # fmt: skip
_BASE = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "50000"}
_BODIES = st.dictionaries(_KEYS, _VALUES, max_size=6).map(lambda d: {**_BASE, **d})
_BINANCE_KEYS = st.sampled_from(["symbol", "side", "type", "quantity", "price", "timeInForce", "quoteOrderQty",
                                 "newClientOrderId", "orderId", "limit", "fromId", "startTime"])  # fmt: skip
_QUERIES = st.dictionaries(_BINANCE_KEYS, _NUMBERS.map(str), max_size=6)


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    """The sim-exchange on wall time in its own thread, so hypothesis examples can call it synchronously."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    served = asyncio.run_coroutine_threadsafe(serve(WallClock()), loop).result(timeout=30)
    yield served
    asyncio.run_coroutine_threadsafe(served.runner.cleanup(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def _call(request: urllib.request.Request) -> tuple[int, Any]:
    """The status and the JSON reply (or its text: aiohttp answers a too-long URL itself, in plain text)."""
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def _bybit(served: Served, path: str, body: str) -> tuple[int, Any]:
    ts = int(time.time() * 1000)
    headers = {
        "X-BAPI-API-KEY": "trader-1",
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-RECV-WINDOW": "5000",
        "X-BAPI-SIGN": sign_request(secret_of("trader-1"), "trader-1", ts, body),
        "Content-Type": "application/json",
    }
    return _call(urllib.request.Request(served.url + path, body.encode(), headers, method="POST"))


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(body=_BODIES, path=st.sampled_from(["/v5/order/create", "/v5/order/amend", "/v5/order/cancel"]))
def test_bybit_order_routes_never_answer_5xx_or_10016(server: Served, body: dict[str, Any], path: str) -> None:
    status, reply = _bybit(server, path, json.dumps(body))
    assert status < 500, reply
    assert reply["retCode"] != 10016, reply


@_FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(["[" * 50_000, '{"qty":' + "[" * 5000 + "}", "{}" * 10]))
def test_bybit_free_form_body_text_never_answers_5xx_or_10016(server: Served, text: str) -> None:
    status, reply = _bybit(server, "/v5/order/create", text)
    assert status < 500, reply
    assert reply["retCode"] != 10016, reply


@_FUZZ
@given(query=_QUERIES, method=st.sampled_from(["POST", "GET", "DELETE"]))
def test_binance_order_routes_never_answer_5xx(server: Served, query: dict[str, str], method: str) -> None:
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
              "price": "50000", **query} if method == "POST" else {"symbol": "BTCUSDT", **query}  # fmt: skip
    params["timestamp"] = str(int(time.time() * 1000))
    signed_query = sign_query(secret_of("trader-1"), urlencode(params))
    request = urllib.request.Request(
        f"{server.url}/api/v3/order?{signed_query}", headers={"X-MBX-APIKEY": "trader-1"}, method=method
    )
    status, reply = _call(request)
    assert status < 500, reply


def test_binance_body_over_the_limit_is_http_413(server: Served) -> None:
    body = b"quantity=" + b"1" * (1024**2 + 1)
    request = urllib.request.Request(f"{server.url}/api/v3/order", body, {"X-MBX-APIKEY": "trader-1"}, method="POST")
    status, reply = _call(request)
    assert (status, reply["code"]) == (413, -1100), reply
