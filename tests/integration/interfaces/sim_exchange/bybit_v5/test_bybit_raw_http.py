"""Raw signed HTTP calls: Bybit's retCodes for bad auth and bad orders, and that a refusal changes nothing."""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, secret_of, seeded_venue, serve, signed
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import WalletView
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, serve_until_cancelled
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings
from tradewind.interfaces.sim_exchange.bybit_v5.auth import sign_request

ORDER = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "59000"}
ENVELOPE_KEYS = {"retCode", "retMsg", "result", "retExtInfo", "time"}


def _state(served: Served) -> tuple[WalletView, int, int]:
    account = served.venue.account("trader-1")
    assert account is not None
    engine_seq = served.venue.engine(Category.SPOT, "BTCUSDT").seq
    return served.venue.wallet_view("trader-1"), len(account.open_orders) + len(account.history), engine_seq


async def _create(http: aiohttp.ClientSession, served: Served, **kw: Any) -> dict[str, Any]:
    _, body, _ = await signed(http, served, "POST", "/v5/order/create", ORDER, **kw)
    return body


async def test_valid_signed_order_is_accepted(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    body = await _create(http, frozen_server)
    assert set(body) == ENVELOPE_KEYS
    assert (body["retCode"], body["retMsg"]) == (0, "OK")
    assert body["result"]["orderId"] in frozen_server.venue.account("trader-1").open_orders  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"secret": "not-the-secret"}, 10004),
        ({"key": "nobody"}, 10003),
        ({"timestamp": 1_767_225_600_000 - 5_001}, 10002),  # SimClock starts at 1 767 225 600 000 ms
        ({"timestamp": 1_767_225_600_000 + 1_000}, 10002),
        ({"timestamp": 1_767_225_600_000 - 20_000, "recv_window": 10_000}, 10002),
    ],
)
async def test_bad_auth_is_refused_with_bybits_code_and_changes_nothing(
    frozen_server: Served, http: aiohttp.ClientSession, kwargs: dict[str, Any], code: int
) -> None:
    before = _state(frozen_server)
    body = await _create(http, frozen_server, **kwargs)
    assert body["retCode"] == code
    assert body["result"] == {}
    assert _state(frozen_server) == before


async def test_stale_timestamp_message_names_both_clocks(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    body = await _create(http, frozen_server, timestamp=1_767_225_590_000)
    assert body["retMsg"] == (
        "invalid request, please check your server timestamp or recv_window param. "
        "req_timestamp[1767225590000],server_timestamp[1767225600000],recv_window[5000]"
    )


async def test_body_altered_after_signing_is_10004(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    ts = frozen_server.venue.clock.now_ms()
    sign = sign_request(secret_of("trader-1"), "trader-1", ts, json.dumps(ORDER))
    headers = {
        "X-BAPI-API-KEY": "trader-1",
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-SIGN": sign,
        "X-BAPI-RECV-WINDOW": "5000",
    }
    tampered = json.dumps({**ORDER, "qty": "1"})
    async with http.post(frozen_server.url + "/v5/order/create", data=tampered, headers=headers) as resp:
        body = await resp.json()
    assert body["retCode"] == 10004
    assert body["retMsg"].startswith(f"error sign! origin_string[{ts}trader-15000{{")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"price": "59000.05"}, 170134),  # off the 0.1 tick
        ({"qty": "0.000005"}, 170136),  # below minOrderQty
        ({"qty": "0.0000015"}, 170137),  # off basePrecision
        ({"qty": "100"}, 170135),  # above maxOrderQty
        ({"qty": "0.00005", "price": "60000"}, 170140),  # 3 USDT < minOrderAmt
        ({"qty": "5"}, 170131),  # 295 000 USDT > balance
        ({"category": "linear", "qty": "0.0001"}, 10001),  # linear qtyStep 0.001
        ({"category": "linear", "qty": "0.01", "price": "59000.05"}, 10001),
        ({"category": "linear", "qty": "0.001", "price": "4000"}, 110094),  # 4 USDT < minNotionalValue
        ({"category": "linear", "qty": "50"}, 110007),  # initial margin beyond the wallet
        ({"symbol": "DOGEUSDT"}, 170121),
        ({"side": "buy"}, 10001),
        ({"orderType": "Stop"}, 10001),
        ({"qty": "abc"}, 10001),
        ({"positionIdx": 1}, 10001),
    ],
)
async def test_bad_order_is_refused_with_bybits_code_and_changes_nothing(
    frozen_server: Served, http: aiohttp.ClientSession, change: dict[str, Any], code: int
) -> None:
    before = _state(frozen_server)
    _, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", {**ORDER, **change})
    assert body["retCode"] == code, body
    assert body["retMsg"]
    assert _state(frozen_server) == before


async def test_duplicate_order_link_id_is_170141_on_spot_and_110072_on_linear(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    for category, code in (("spot", 170141), ("linear", 110072)):
        order = {**ORDER, "category": category, "orderLinkId": f"dup-{category}"}
        _, first, _ = await signed(http, frozen_server, "POST", "/v5/order/create", order)
        # signed anew (1 ms earlier on the frozen clock), or the replay guard refuses it first
        now = frozen_server.venue.clock.now_ms()
        _, second, _ = await signed(http, frozen_server, "POST", "/v5/order/create", order, timestamp=now - 1)
        assert (first["retCode"], second["retCode"]) == (0, code)


async def test_pybit_style_requests_sorted_query_and_spaced_json_are_accepted(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    _, wallet, _ = await signed(
        http, frozen_server, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED", "coin": "USDT"}
    )
    assert wallet["retCode"] == 0
    assert wallet["result"]["list"][0]["coin"][0]["walletBalance"] == "100000"
    spaced = json.dumps({"category": "spot", "symbol": "BTCUSDT", "side": "Sell", "orderType": "Limit",
                         "qty": "0.01", "price": "61000", "positionIdx": 0})  # fmt: skip
    _, body, _ = await signed(http, frozen_server, "POST", "/v5/order/create", {}, body=spaced)
    assert body["retCode"] == 0


async def test_private_calls_carry_rate_limit_headers_and_10006_when_over(http: aiohttp.ClientSession) -> None:
    limits = RateLimitSettings(limits={"/v5/order/realtime": 2})
    served = await serve(SimClock(), limits)
    try:
        replies = [await signed(http, served, "GET", "/v5/order/realtime", {"category": "spot"}) for _ in range(3)]
    finally:
        await served.runner.cleanup()
    statuses = [
        (body["retCode"], headers["X-Bapi-Limit"], headers["X-Bapi-Limit-Status"]) for _, body, headers in replies
    ]
    assert statuses == [(0, "2", "1"), (0, "2", "0"), (10006, "2", "0")]
    assert replies[2][1]["retMsg"] == "Too many visits!"
    assert replies[2][2]["X-Bapi-Limit-Reset-Timestamp"] == str(served.venue.clock.now_ms() + 1000)


async def test_unknown_route_is_http_404_with_retcode_10017(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    for method, path in (("GET", "/v5/market/nothing"), ("POST", "/v5/market/tickers")):
        async with http.request(method, frozen_server.url + path) as resp:
            assert resp.status == 404
            body = await resp.json()
        assert set(body) == ENVELOPE_KEYS
        assert body["retCode"] == 10017


async def test_public_replies_are_in_the_envelope_and_need_no_signature(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    async with http.get(frozen_server.url + "/v5/market/instruments-info?category=option&baseCoin=BTC") as resp:
        empty = await resp.json()
    assert (empty["retCode"], empty["result"]["list"]) == (0, [])
    async with http.get(frozen_server.url + "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=2") as resp:
        book = await resp.json()
    assert book["result"]["a"] == [["60010", "1"], ["60020", "1"]]
    assert book["result"]["b"] == [["59990", "1"], ["59980", "1"]]
    async with http.get(frozen_server.url + "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=7") as resp:
        bad = await resp.json()
    assert bad["retCode"] == 10001 and "interval" in bad["retMsg"]


async def test_trading_stop_closes_the_position_when_the_price_reaches_it(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    buy = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.1"}
    assert (await signed(http, frozen_server, "POST", "/v5/order/create", buy))[1]["retCode"] == 0
    stop = {"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Full", "positionIdx": 0, "takeProfit": "60030"}
    assert (await signed(http, frozen_server, "POST", "/v5/position/trading-stop", stop))[1]["retCode"] == 0
    _, listed, _ = await signed(
        http, frozen_server, "GET", "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"}
    )
    assert listed["result"]["list"][0]["takeProfit"] == "60030"
    lift = {**buy, "qty": "3"}  # trader-2 lifts the offers up to 60040: the take-profit fires
    assert (await signed(http, frozen_server, "POST", "/v5/order/create", lift, key="trader-2"))[1]["retCode"] == 0
    _, listed, _ = await signed(
        http, frozen_server, "GET", "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"}
    )
    assert listed["result"]["list"][0]["size"] == "0"
    _, history, _ = await signed(http, frozen_server, "GET", "/v5/order/history", {"category": "linear"})
    kinds = [(o["stopOrderType"], o["orderStatus"]) for o in history["result"]["list"]]
    assert ("TakeProfit", "Filled") in kinds


async def test_partial_trading_stops_are_conditional_orders_of_their_own_size(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    buy = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.3"}
    assert (await signed(http, frozen_server, "POST", "/v5/order/create", buy))[1]["retCode"] == 0
    stop = {"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Partial", "positionIdx": 0}
    for tp, size in (("60030", "0.1"), ("60100", "0.2")):
        pair = {**stop, "takeProfit": tp, "stopLoss": "59000", "tpSize": size, "slSize": size}
        _, answer, _ = await signed(http, frozen_server, "POST", "/v5/position/trading-stop", pair)
        assert (answer["retCode"], answer["result"]) == (0, {})  # as Bybit: the orders are not named in the answer
    query = {"category": "linear", "symbol": "BTCUSDT"}
    _, realtime, _ = await signed(http, frozen_server, "GET", "/v5/order/realtime", query)
    rows = {(o["stopOrderType"], o["triggerPrice"], o["qty"], o["orderStatus"], o["tpslMode"], o["reduceOnly"])
            for o in realtime["result"]["list"]}  # fmt: skip
    assert rows == {
        ("PartialTakeProfit", "60030", "0.1", "Untriggered", "Partial", True),
        ("PartialStopLoss", "59000", "0.1", "Untriggered", "Partial", True),
        ("PartialTakeProfit", "60100", "0.2", "Untriggered", "Partial", True),
        ("PartialStopLoss", "59000", "0.2", "Untriggered", "Partial", True),
    }
    lift = {**buy, "qty": "3"}  # trader-2 lifts the offers up to 60040: the first TP fires, the second does not
    assert (await signed(http, frozen_server, "POST", "/v5/order/create", lift, key="trader-2"))[1]["retCode"] == 0
    _, listed, _ = await signed(http, frozen_server, "GET", "/v5/position/list", query)
    assert listed["result"]["list"][0]["size"] == "0.2"
    _, execs, _ = await signed(http, frozen_server, "GET", "/v5/execution/list", query)
    (fired,) = [e for e in execs["result"]["list"] if e["stopOrderType"] == "PartialTakeProfit"]
    assert (fired["execQty"], fired["side"]) == ("0.1", "Sell")
    by_id = {**query, "orderId": fired["orderId"]}
    _, history, _ = await signed(http, frozen_server, "GET", "/v5/order/history", by_id)
    assert [(o["stopOrderType"], o["orderStatus"]) for o in history["result"]["list"]] == [
        ("PartialTakeProfit", "Filled")
    ]
    _, realtime, _ = await signed(http, frozen_server, "GET", "/v5/order/realtime", query)
    left = sorted((o["stopOrderType"], o["qty"]) for o in realtime["result"]["list"])
    assert left == [("PartialStopLoss", "0.2"), ("PartialTakeProfit", "0.2")]  # the pair's SL went with its TP
    cancel = {**query, "orderId": realtime["result"]["list"][0]["orderId"]}
    assert (await signed(http, frozen_server, "POST", "/v5/order/cancel", cancel))[1]["retCode"] == 0


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"tpslMode": "Partial", "tpSize": "0.1", "slSize": "0.2"}, "must be equal"),
        ({"tpslMode": "Partial", "tpSize": "0.1", "slSize": "0.1", "trailingStop": "50"}, "tpslMode Full only"),
        ({"tpslMode": "Partial"}, "needs tpSize"),
        ({"tpslMode": "Full", "tpSize": "0.1"}, "Partial only"),
        ({"tpslMode": "Half"}, "Full or Partial"),
        ({"tpslMode": "Partial", "tpSize": "0.5", "slSize": "0.5"}, "exceed"),
    ],
)
async def test_bad_partial_trading_stops_are_refused_by_name(
    frozen_server: Served, http: aiohttp.ClientSession, extra: dict[str, str], words: str
) -> None:
    buy = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.1"}
    assert (await signed(http, frozen_server, "POST", "/v5/order/create", buy))[1]["retCode"] == 0
    stop = {"category": "linear", "symbol": "BTCUSDT", "positionIdx": 0, "stopLoss": "59000", **extra}
    _, answer, _ = await signed(http, frozen_server, "POST", "/v5/position/trading-stop", stop)
    assert answer["retCode"] != 0 and words in answer["retMsg"]
    account = frozen_server.venue.account("trader-1")
    assert account is not None and account.conditional_orders("BTCUSDT") == []


async def test_account_probes_answer_as_a_unified_account(frozen_server: Served, http: aiohttp.ClientSession) -> None:
    _, api, _ = await signed(http, frozen_server, "GET", "/v5/user/query-api", {})
    _, info, _ = await signed(http, frozen_server, "GET", "/v5/account/info", {})
    _, coins, _ = await signed(http, frozen_server, "GET", "/v5/asset/coin/query-info", {})
    assert api["result"]["uta"] == 1
    assert info["result"]["unifiedMarginStatus"] >= 5
    assert coins["result"] == {"rows": []}


async def test_serve_until_cancelled_serves_then_releases_the_port(http: aiohttp.ClientSession) -> None:
    app = create_sim_exchange_app(seeded_venue(SimClock()), SimExchangeSettings(port=0))
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve_until_cancelled(app, "127.0.0.1", 0, bound.set_result))
    port = await asyncio.wait_for(bound, timeout=10)
    async with http.get(f"http://127.0.0.1:{port}/v5/market/time") as resp:
        assert (await resp.json())["retCode"] == 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.get(f"http://127.0.0.1:{port}/v5/market/time")
