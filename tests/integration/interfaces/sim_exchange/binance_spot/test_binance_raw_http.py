"""The Binance spot REST face over raw HTTP: signing, every refusal (which changes nothing), exact 8-decimal replies."""

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import START, Served
from tests.support.bybit_server import signed as bybit_signed
from tradewind.adapters.clock import SimClock
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange.binance_spot.auth import sign_query
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings

from .binance_support import public, serve_binance, signed, state_of

D = Decimal
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_NOT_AMOUNTS = {"priceChangePercent", "clientOrderId", "origClientOrderId"}


def assert_padded(value: Any, key: str = "") -> int:
    """Every numeric string in a reply has at least 8 decimals, as Binance writes amounts; returns how many."""
    if isinstance(value, dict):
        return sum(assert_padded(v, k) for k, v in value.items())
    if isinstance(value, list):
        return sum(assert_padded(v, key) for v in value)
    if isinstance(value, str) and _NUMBER.match(value) and key not in _NOT_AMOUNTS:
        assert len(value.partition(".")[2]) >= 8, f"{key}={value!r}"
        return 1
    return 0


def limit(**extra: Any) -> dict[str, Any]:
    """A LIMIT buy of 0.01 BTC at 59 000, changed by ``extra`` (a None value leaves that parameter out)."""
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01"}
    return {k: v for k, v in {**params, "price": "59000", **extra}.items() if v is not None}


async def order(http: aiohttp.ClientSession, served: Served, **params: Any) -> tuple[int, Any]:
    status, body, _ = await signed(http, served, "POST", "/api/v3/order", params)
    return status, body


# --- signing --------------------------------------------------------------------------------------------


async def test_params_may_be_signed_in_the_query_or_the_body(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    status, in_body, _ = await signed(http, frozen_server, "POST", "/api/v3/order", limit(newClientOrderId="b"))
    assert (status, in_body["status"], in_body["clientOrderId"]) == (200, "NEW", "b")
    status, in_query, _ = await signed(
        http, frozen_server, "POST", "/api/v3/order", limit(newClientOrderId="q"), in_body=False
    )
    assert (status, in_query["clientOrderId"]) == (200, "q")
    assert in_query["orderId"] == in_body["orderId"] + 1  # integers in creation order


async def test_split_params_are_signed_as_query_then_body(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    ts = frozen_server.venue.clock.now_ms()
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    body = f"quantity=0.01&price=59000&timestamp={ts}"
    signature = sign_query("trader-1-secret", query + body).rpartition("=")[2]
    headers = {"X-MBX-APIKEY": "trader-1", "Content-Type": "application/x-www-form-urlencoded"}
    url = f"{frozen_server.url}/api/v3/order?{query}"
    async with http.post(url, data=f"{body}&signature={signature}", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["origQty"] == "0.01000000"


async def test_authentication_failures(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    before = state_of(frozen_server.venue)
    now = frozen_server.venue.clock.now_ms()
    cases: list[tuple[dict[str, Any], int, int]] = [
        ({"key": "nobody"}, 401, -2015),
        ({"secret": "wrong"}, 400, -1022),
        ({"timestamp": now + 1000}, 400, -1021),
        ({"timestamp": now - 5001}, 400, -1021),
    ]
    for kw, http_status, code in cases:
        status, body, _ = await signed(http, frozen_server, "POST", "/api/v3/order", limit(), **kw)
        assert (status, body["code"]) == (http_status, code), kw
    status, body, _ = await signed(http, frozen_server, "GET", "/api/v3/account", {"recvWindow": 60001})
    assert (status, body) == (
        400,
        {"code": -1131, "msg": "recvWindow must be less than 60000", "detail": body["detail"]},
    )
    status, body, _ = await signed(
        http, frozen_server, "GET", "/api/v3/account", {"recvWindow": 60000}, timestamp=now - 59_999
    )
    assert status == 200 and body["accountType"] == "SPOT"
    async with http.get(f"{frozen_server.url}/api/v3/account?timestamp={now}&signature=00") as resp:
        assert (resp.status, (await resp.json())["code"]) == (401, -2014)
    async with http.get(
        f"{frozen_server.url}/api/v3/account?timestamp={now}", headers={"X-MBX-APIKEY": "trader-1"}
    ) as r:
        no_signature = await r.json()
    assert no_signature["msg"] == "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
    assert state_of(frozen_server.venue) == before


# --- refusals -------------------------------------------------------------------------------------------

REFUSALS: list[tuple[dict[str, Any], int, str]] = [
    ({"symbol": None}, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
    ({"symbol": "BTCUSDC"}, -1121, "Invalid symbol."),
    ({"symbol": "btcusdt"}, -1121, "Invalid symbol."),
    ({"side": "buy"}, -1117, "Invalid side."),
    ({"type": "STOP_LOSS_LIMIT"}, -1116, "Invalid orderType."),
    ({"timeInForce": "GTX"}, -1115, "Invalid timeInForce."),
    ({"timeInForce": None}, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
    ({"quantity": "-1"}, -1100, "Illegal characters found in parameter 'quantity'"),
    ({"quantity": "1e-3"}, -1100, "Illegal characters found in parameter 'quantity'"),
    ({"price": "NaN"}, -1100, "Illegal characters found in parameter 'price'"),
    ({"price": "Infinity"}, -1100, "Illegal characters found in parameter 'price'"),
    ({"qty": "1"}, -1104, "Not all sent parameters were read; read '8' parameter(s) but was sent '9'."),
    ({"stopPrice": "58000"}, -1020, "This operation is not supported."),
    ({"newClientOrderId": "has space"}, -1100, "Illegal characters found in parameter 'newClientOrderId'"),
    ({"newClientOrderId": "x" * 37}, -1100, "Illegal characters found in parameter 'newClientOrderId'"),
    ({"price": "59000.05"}, -1013, "Filter failure: PRICE_FILTER"),
    ({"price": "0"}, -1013, "Filter failure: PRICE_FILTER"),
    ({"price": "1000000.1"}, -1013, "Filter failure: PRICE_FILTER"),
    ({"quantity": "0"}, -1013, "Filter failure: LOT_SIZE"),
    ({"quantity": "0.00001"}, -1013, "Filter failure: LOT_SIZE"),
    ({"quantity": "0.0000115"}, -1013, "Filter failure: LOT_SIZE"),
    ({"quantity": "84"}, -1013, "Filter failure: LOT_SIZE"),
    ({"quantity": "0.0001", "price": "40000"}, -1013, "Filter failure: NOTIONAL"),
    ({"quantity": "2", "price": "60000"}, -2010, "Account has insufficient balance for requested action."),
    ({"newClientOrderId": "taken"}, -2010, "Duplicate order sent."),
    ({"type": "LIMIT_MAKER", "timeInForce": None, "price": "60010"}, -2010, "Order would immediately match and take."),
    ({"type": "LIMIT_MAKER"}, -1106, "Parameter 'timeInForce' sent when not required."),
    ({"type": "MARKET", "timeInForce": None}, -1106, "Parameter 'price' sent when not required."),
    ({"type": "MARKET", "timeInForce": None, "price": None, "quantity": None}, -1102, "'quantity' or 'quoteOrderQty'"),
    ({"type": "MARKET", "timeInForce": None, "price": None, "quoteOrderQty": "10"}, -1128, "Combination"),
    ({"type": "MARKET", "timeInForce": None, "price": None, "quantity": None, "quoteOrderQty": "1"}, -1013, "NOTIONAL"),
    (
        {"type": "MARKET", "timeInForce": None, "price": None, "quantity": None, "quoteOrderQty": "10.000000001"},
        -1111,
        "Precision is over the maximum defined for this asset.",
    ),
    ({"newOrderRespType": "BRIEF"}, -1100, "Illegal characters found in parameter 'newOrderRespType'"),
]


async def test_every_refused_order_says_why_with_binances_code_and_changes_nothing(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    # placed 1 ms earlier, so the refusal below is a new signature (the same one again would be a replay, -1021)
    now = frozen_server.venue.clock.now_ms()
    placed = await signed(
        http, frozen_server, "POST", "/api/v3/order", limit(newClientOrderId="taken"), timestamp=now - 1
    )
    assert placed[0] == 200
    before = state_of(frozen_server.venue)
    for change, code, message in REFUSALS:
        status, body = await order(http, frozen_server, **limit(**change))
        assert (status, body["code"]) == (400, code), (change, body)
        assert body["msg"].startswith(message) or message in body["msg"], (change, body)
        assert set(body) <= {"code", "msg", "detail"}
    assert state_of(frozen_server.venue) == before


async def test_filter_failures_say_what_exactly(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, body = await order(http, frozen_server, **limit(quantity="0.00001"))
    assert body["detail"] == "BTCUSDT: quantity 0.00001 is below the minimum 0.000011"
    _, body = await order(http, frozen_server, **limit(quantity="2", price="60000"))
    assert body["detail"] == "USDT: the order needs 120000, only 100000 is available"


async def test_unknown_and_finished_orders(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, placed = await order(http, frozen_server, **limit())
    other = {"symbol": "BTCUSDT", "orderId": placed["orderId"]}
    for key, path, method, code, msg in (
        ("trader-2", "/api/v3/order", "GET", -2013, "Order does not exist."),  # another account's order
        ("trader-2", "/api/v3/order", "DELETE", -2011, "Unknown order sent."),
    ):
        status, body, _ = await signed(http, frozen_server, method, path, other, key=key)
        assert (status, body["code"], body["msg"]) == (400, code, msg)
    wrong_symbol = {"symbol": "ETHUSDT", "orderId": placed["orderId"]}
    assert (await signed(http, frozen_server, "GET", "/api/v3/order", wrong_symbol))[1]["code"] == -2013
    mismatch = {**other, "origClientOrderId": "not-its-id"}
    assert (await signed(http, frozen_server, "GET", "/api/v3/order", mismatch))[1]["code"] == -2013
    _, neither, _ = await signed(http, frozen_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT"})
    assert (neither["code"], neither["msg"]) == (
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    )
    status, cancelled, _ = await signed(http, frozen_server, "DELETE", "/api/v3/order", other)
    assert (status, cancelled["status"], cancelled["origClientOrderId"]) == (200, "CANCELED", placed["clientOrderId"])
    now = frozen_server.venue.clock.now_ms()  # signed anew: the same signature again would be a replay (-1021)
    status, again, _ = await signed(http, frozen_server, "DELETE", "/api/v3/order", other, timestamp=now - 1)
    assert (status, again["code"], again["msg"]) == (400, -2011, "Unknown order sent.")
    status, queried, _ = await signed(http, frozen_server, "GET", "/api/v3/order", other)
    assert (status, queried["status"], queried["orderId"]) == (200, "CANCELED", placed["orderId"])


async def test_cancel_restrictions(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, placed = await order(http, frozen_server, **limit())
    ref = {"symbol": "BTCUSDT", "orderId": placed["orderId"]}
    status, body, _ = await signed(
        http, frozen_server, "DELETE", "/api/v3/order", {**ref, "cancelRestrictions": "ONLY_PARTIALLY_FILLED"}
    )
    assert (status, body["code"], body["msg"]) == (400, -2011, "Order was not canceled due to cancel restrictions.")
    status, body, _ = await signed(
        http,
        frozen_server,
        "DELETE",
        "/api/v3/order",
        {**ref, "cancelRestrictions": "ONLY_NEW", "newClientOrderId": "c"},
    )
    assert (status, body["status"], body["clientOrderId"]) == (200, "CANCELED", "c")


# --- replies --------------------------------------------------------------------------------------------


async def test_response_types_ack_result_full(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    ack_keys = {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    _, ack = await order(http, frozen_server, **limit(newOrderRespType="ACK"))
    assert set(ack) == ack_keys and isinstance(ack["orderId"], int)
    _, result = await order(http, frozen_server, **limit(newOrderRespType="RESULT"))
    assert ack_keys < set(result) and "fills" not in result and result["status"] == "NEW"
    _, full = await order(http, frozen_server, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1.5")
    assert full["status"] == "FILLED" and full["type"] == "MARKET"
    assert (full["executedQty"], full["cummulativeQuoteQty"], full["origQty"]) == (
        "1.50000000",
        "90020.00000000",
        "1.50000000",
    )
    assert [(f["price"], f["qty"], f["commission"], f["commissionAsset"]) for f in full["fills"]] == [
        ("60010.00000000", "1.00000000", "0.00100000", "BTC"),
        ("60020.00000000", "0.50000000", "0.00050000", "BTC"),
    ]
    assert [f["tradeId"] for f in full["fills"]] == [1, 2]
    assert assert_padded(full) == 11


async def test_time_in_force_and_limit_maker_outcomes(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, ioc = await order(http, frozen_server, **limit(timeInForce="IOC", quantity="1.5", price="60010"))
    assert (ioc["status"], ioc["executedQty"], ioc["timeInForce"]) == ("EXPIRED", "1.00000000", "IOC")
    _, fok = await order(http, frozen_server, **limit(symbol="ETHUSDT", timeInForce="FOK", quantity="11", price="3001"))
    assert (fok["status"], fok["executedQty"], fok["fills"]) == ("EXPIRED", "0.00000000", [])
    _, maker = await order(
        http, frozen_server, **limit(type="LIMIT_MAKER", timeInForce=None, newOrderRespType="RESULT")
    )
    assert (maker["status"], maker["type"], maker["timeInForce"]) == ("NEW", "LIMIT_MAKER", "GTC")
    _, quote = await order(http, frozen_server, symbol="ETHUSDT", side="BUY", type="MARKET", quoteOrderQty="4503")
    # 1.5 ETH at 3001 cost 4501.5; the 1.5 USDT left buy whole steps of 0.00001 ETH: 0.00049 for 1.47049
    assert (quote["executedQty"], quote["cummulativeQuoteQty"], quote["origQuoteOrderQty"]) == (
        "1.50049000",
        "4502.97049000",
        "4503.00000000",
    )


async def test_orders_are_shared_with_the_bybit_face(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, placed = await order(http, frozen_server, **limit(newClientOrderId="both-ways"))
    _, bybit, _ = await bybit_signed(http, frozen_server, "GET", "/v5/order/realtime", {"category": "spot"})
    (row,) = bybit["result"]["list"]
    assert (row["orderLinkId"], row["price"], row["qty"]) == ("both-ways", "59000", "0.01")
    _, bybit_cancel, _ = await bybit_signed(
        http,
        frozen_server,
        "POST",
        "/v5/order/cancel",
        {"category": "spot", "symbol": "BTCUSDT", "orderId": row["orderId"]},
    )
    assert bybit_cancel["retCode"] == 0
    _, seen, _ = await signed(
        http, frozen_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}
    )
    assert seen["status"] == "CANCELED"


async def test_market_data_replies(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    await order(http, frozen_server, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1.5")
    await order(http, frozen_server, symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.25")
    seq = frozen_server.venue.engine(Category.SPOT, "BTCUSDT").seq
    _, depth, _ = await public(http, frozen_server, "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 2})
    assert depth == {
        "lastUpdateId": seq,
        "bids": [["59990.00000000", "0.75000000"], ["59980.00000000", "1.00000000"]],
        "asks": [["60020.00000000", "0.50000000"], ["60030.00000000", "1.00000000"]],
    }
    _, full_depth, _ = await public(http, frozen_server, "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 6000})
    assert (len(full_depth["bids"]), len(full_depth["asks"])) == (5, 4)
    _, trades, _ = await public(http, frozen_server, "/api/v3/trades", {"symbol": "BTCUSDT"})
    assert [(t["id"], t["price"], t["qty"], t["isBuyerMaker"]) for t in trades] == [
        (1, "60010.00000000", "1.00000000", False),
        (2, "60020.00000000", "0.50000000", False),
        (3, "59990.00000000", "0.25000000", True),
    ]
    _, aggs, _ = await public(http, frozen_server, "/api/v3/aggTrades", {"symbol": "BTCUSDT", "fromId": 2})
    assert [(a["a"], a["f"], a["l"], a["q"]) for a in aggs] == [(2, 2, 2, "0.50000000"), (3, 3, 3, "0.25000000")]
    _, ticker, _ = await public(http, frozen_server, "/api/v3/ticker/24hr", {"symbol": "BTCUSDT"})
    assert (ticker["lastPrice"], ticker["volume"], ticker["quoteVolume"], ticker["count"]) == (
        "59990.00000000",
        "1.75000000",
        "105017.50000000",
        3,
    )
    assert (ticker["openPrice"], ticker["highPrice"], ticker["lowPrice"], ticker["priceChange"]) == (
        "60010.00000000",
        "60020.00000000",
        "59990.00000000",
        "-20.00000000",
    )
    assert (ticker["firstId"], ticker["lastId"], ticker["priceChangePercent"]) == (1, 3, "-0.033")
    _, both, _ = await public(http, frozen_server, "/api/v3/ticker/24hr", {"symbols": '["ETHUSDT","BTCUSDT"]'})
    assert [t["symbol"] for t in both] == ["ETHUSDT", "BTCUSDT"]
    _, mini, _ = await public(http, frozen_server, "/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "type": "MINI"})
    assert "bidPrice" not in mini and mini["lastPrice"] == "59990.00000000"
    _, book, _ = await public(http, frozen_server, "/api/v3/ticker/bookTicker", {"symbol": "BTCUSDT"})
    assert book == {
        "symbol": "BTCUSDT",
        "bidPrice": "59990.00000000",
        "bidQty": "0.75000000",
        "askPrice": "60020.00000000",
        "askQty": "0.50000000",
    }
    _, prices, _ = await public(http, frozen_server, "/api/v3/ticker/price")
    assert prices == [{"symbol": "BTCUSDT", "price": "59990.00000000"}, {"symbol": "ETHUSDT", "price": "0.00000000"}]
    now = frozen_server.venue.clock.now_ms()
    _, klines, _ = await public(http, frozen_server, "/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1h"})
    (bar,) = klines
    assert bar[0] == now - now % 3_600_000 and bar[6] == bar[0] + 3_599_999
    assert bar[1:6] == ["60010.00000000", "60020.00000000", "59990.00000000", "59990.00000000", "1.75000000"]
    assert bar[7] == "105017.50000000"
    for reply in (depth, trades, aggs, ticker, book, bar[:11]):  # a kline's 12th field is Binance's unused "0"
        assert assert_padded(reply) > 0


async def test_market_data_refusals(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("/api/v3/depth", {"symbol": "XRPUSDT"}, -1121),
        ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 0}, -1100),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1s"}, -1120),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "+08:00"}, -1100),
        ("/api/v3/trades", {"symbol": "BTCUSDT", "limit": 1001}, -1100),
        ("/api/v3/aggTrades", {"symbol": "BTCUSDT", "fromId": 1, "startTime": 1}, -1128),
        ("/api/v3/aggTrades", {"symbol": "BTCUSDT", "startTime": 0, "endTime": 3_600_001}, -1127),
        ("/api/v3/ticker/24hr", {"symbols": "BTCUSDT"}, -1100),
        ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, -1128),
        ("/api/v3/exchangeInfo", {"symbol": "DOGEUSDT"}, -1121),
        ("/api/v3/time", {"foo": 1}, -1104),
    ]
    for path, params, code in cases:
        status, body, _ = await public(http, frozen_server, path, params)
        assert (status, body["code"]) == (400, code), (path, params, body)
    status, body, _ = await public(http, frozen_server, "/api/v3/historicalTrades", {"symbol": "BTCUSDT"})
    assert (status, body["code"]) == (401, -2014)
    async with http.get(
        f"{frozen_server.url}/api/v3/historicalTrades?symbol=BTCUSDT", headers={"X-MBX-APIKEY": "trader-1"}
    ) as resp:
        assert (resp.status, await resp.json()) == (200, [])


async def test_exchange_info_describes_the_spot_instruments(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, info, _ = await public(http, frozen_server, "/api/v3/exchangeInfo", {"symbol": "ETHUSDT"})
    (symbol,) = info["symbols"]
    assert (symbol["symbol"], symbol["status"], symbol["baseAsset"], symbol["quoteAsset"]) == (
        "ETHUSDT",
        "TRADING",
        "ETH",
        "USDT",
    )
    assert symbol["orderTypes"] == ["LIMIT", "LIMIT_MAKER", "MARKET"]
    assert symbol["isSpotTradingAllowed"] and symbol["permissionSets"] == [["SPOT"]]
    filters = {f["filterType"]: f for f in symbol["filters"]}
    assert filters["PRICE_FILTER"] == {
        "filterType": "PRICE_FILTER",
        "minPrice": "0.01000000",
        "maxPrice": "100000.00000000",
        "tickSize": "0.01000000",
    }
    assert (filters["LOT_SIZE"]["minQty"], filters["LOT_SIZE"]["maxQty"], filters["LOT_SIZE"]["stepSize"]) == (
        "0.00010000",
        "1500.00000000",
        "0.00001000",
    )
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert filters["MAX_NUM_ORDERS"]["maxNumOrders"] == 500
    assert info["rateLimits"][0] == {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 6000,
    }
    _, halted, _ = await public(http, frozen_server, "/api/v3/exchangeInfo", {"symbolStatus": "HALT"})
    assert halted["symbols"] == []


async def test_order_lists_and_my_trades(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    clock = frozen_server.venue.clock
    assert isinstance(clock, SimClock)
    ids = []
    for qty in ("0.1", "0.2", "0.3"):
        _, placed = await order(http, frozen_server, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=qty)
        ids.append(placed["orderId"])
        await clock.advance(1)
    _, resting = await order(http, frozen_server, **limit())
    _, all_orders, _ = await signed(http, frozen_server, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})
    assert [o["orderId"] for o in all_orders] == [*ids, resting["orderId"]]
    _, tail, _ = await signed(
        http, frozen_server, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", "orderId": ids[1], "limit": 2}
    )
    assert [o["orderId"] for o in tail] == ids[1:]
    _, open_orders, _ = await signed(http, frozen_server, "GET", "/api/v3/openOrders", {})
    assert [o["orderId"] for o in open_orders] == [resting["orderId"]]
    _, mine, _ = await signed(http, frozen_server, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
    assert [(t["orderId"], t["qty"], t["isBuyer"], t["isMaker"]) for t in mine] == [
        (ids[0], "0.10000000", True, False),
        (ids[1], "0.20000000", True, False),
        (ids[2], "0.30000000", True, False),
    ]
    assert [t["commission"] for t in mine] == ["0.00010000", "0.00020000", "0.00030000"]
    _, from_id, _ = await signed(
        http, frozen_server, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "fromId": mine[1]["id"]}
    )
    assert [t["id"] for t in from_id] == [mine[1]["id"], mine[2]["id"]]
    _, by_time, _ = await signed(
        http, frozen_server, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "startTime": mine[1]["time"]}
    )
    assert [t["id"] for t in by_time] == [mine[1]["id"], mine[2]["id"]]
    for params, code in (
        ({"symbol": "BTCUSDT", "fromId": 1, "startTime": 1}, -1128),
        ({"symbol": "BTCUSDT", "startTime": 0, "endTime": 86_400_001}, -1127),
        ({"symbol": "BTCUSDT", "startTime": 10, "endTime": 5}, -1128),
    ):
        status, body, _ = await signed(http, frozen_server, "GET", "/api/v3/myTrades", params)
        assert (status, body["code"]) == (400, code)
    assert assert_padded(mine) == 12


async def test_account_balances_are_free_and_locked(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    await order(http, frozen_server, **limit(quantity="0.1"))
    _, account, _ = await signed(http, frozen_server, "GET", "/api/v3/account", {})
    balances = {b["asset"]: (b["free"], b["locked"]) for b in account["balances"]}
    assert balances["USDT"] == ("94100.00000000", "5900.00000000")
    assert balances["BTC"] == (f"{START['BTC']}.00000000", "0.00000000")
    assert (account["makerCommission"], account["commissionRates"]["taker"], account["canTrade"]) == (
        10,
        "0.00100000",
        True,
    )
    _, none_zero, _ = await signed(http, frozen_server, "GET", "/api/v3/account", {"omitZeroBalances": "true"})
    assert {b["asset"] for b in none_zero["balances"]} == {"USDT", "BTC", "ETH"}


# --- weights and paths ----------------------------------------------------------------------------------


@pytest.fixture
async def tight_server() -> AsyncIterator[Served]:
    served = await serve_binance(SimClock(), BinanceSpotSettings(weight_limit=30))
    yield served
    await served.runner.cleanup()


async def test_request_weight_is_counted_per_caller_and_frees_as_the_minute_rolls(
    tight_server: Served, http: aiohttp.ClientSession
) -> None:
    clock = tight_server.venue.clock
    assert isinstance(clock, SimClock)
    used = []
    for _ in range(4):  # GET /api/v3/order weighs 4, counted even when the order does not exist
        _, _, headers = await signed(http, tight_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1})
        used.append(headers["X-MBX-USED-WEIGHT-1M"])
    assert used == ["4", "8", "12", "16"]
    _, _, headers = await signed(http, tight_server, "GET", "/api/v3/account", {}, key="trader-2")
    assert headers["X-MBX-USED-WEIGHT-1M"] == "20"  # another key has its own budget
    _, _, headers = await public(http, tight_server, "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 500})
    assert headers["X-MBX-USED-WEIGHT-1M"] == "25"  # keyless calls count per client address
    await clock.advance(30)
    status, _, headers = await signed(http, tight_server, "POST", "/api/v3/order", limit())
    assert (status, headers["X-MBX-USED-WEIGHT-1M"]) == (200, "17")
    status, body, headers = await signed(http, tight_server, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})
    assert (status, body["code"], headers["X-MBX-USED-WEIGHT-1M"]) == (429, -1003, "17")
    assert headers["Retry-After"] == "30"  # the first 8 of the 16 leave the window at 60 s
    assert body["msg"].startswith("Too much request weight used; current limit is 30 request weight per 1 MINUTE.")
    await clock.advance(30)
    status, _, headers = await signed(http, tight_server, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})
    assert (status, headers["X-MBX-USED-WEIGHT-1M"]) == (200, "21")


async def test_an_order_refused_for_weight_changes_nothing(tight_server: Served, http: aiohttp.ClientSession) -> None:
    await signed(http, tight_server, "GET", "/api/v3/account", {})  # 20
    for client_id in ("w-1", "w-2"):
        status, _, headers = await signed(
            http, tight_server, "POST", "/api/v3/order", limit(newClientOrderId=client_id)
        )
        assert status == 200
    await signed(http, tight_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1})  # 26
    await signed(http, tight_server, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1})  # 30
    before = state_of(tight_server.venue)
    status, body, headers = await signed(http, tight_server, "POST", "/api/v3/order", limit(newClientOrderId="w-3"))
    assert (status, body["code"], headers["X-MBX-USED-WEIGHT-1M"]) == (429, -1003, "30")
    assert state_of(tight_server.venue) == before


async def test_unknown_paths_answer_in_each_protocols_own_format(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    for method, path, status in (
        ("GET", "/api/v3/nothing", 404),
        ("POST", "/api/v3/depth", 405),
        ("GET", "/sapi/v1/x", 404),
        ("GET", "/ws-api/v3", 404),
    ):
        async with http.request(method, frozen_server.url + path) as resp:
            assert resp.status == status
            body = await resp.json()
        assert (body["code"], body["msg"]) == (-1020, "This operation is not supported.")
        assert path in body["detail"]
    for path in ("/v5/market/nothing", "/"):
        async with http.get(frozen_server.url + path) as resp:
            assert (resp.status, (await resp.json())["retCode"]) == (404, 10017)


async def test_a_disabled_binance_face_leaves_its_paths_to_bybit(http: aiohttp.ClientSession) -> None:
    served = await serve_binance(SimClock(), BinanceSpotSettings(enabled=False))
    try:
        async with http.get(served.url + "/api/v3/ping") as resp:
            assert (resp.status, (await resp.json())["retCode"]) == (404, 10017)
    finally:
        await served.runner.cleanup()
