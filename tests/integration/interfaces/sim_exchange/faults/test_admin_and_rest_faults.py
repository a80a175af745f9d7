"""The fault plan switched over ``/admin/faults`` and each REST fault as a client sees it, on both faces."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, signed
from tests.support.faults import put_faults
from tradewind.adapters.clock import WallClock
from tradewind.interfaces.sim_exchange.bybit_v5.app import SERVER_BUSY

from ..binance_spot import binance_support as binance

ORDER = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "59000"}


def order(link_id: str) -> dict[str, Any]:
    return {**ORDER, "orderLinkId": link_id}


def open_link_ids(served: Served, key: str = "trader-1") -> list[str | None]:
    account = served.venue.account(key)
    assert account is not None
    return [o.order_link_id for o in account.orders_newest_first(open_only=True)]


async def test_the_plan_is_read_replaced_and_cleared_over_the_admin_route(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    url = f"{sim_server.url}/admin/faults"
    async with http.get(url) as resp:
        assert (resp.status, (await resp.json())["rules"]) == (200, [])
    shown = await put_faults(http, sim_server, [{"kind": "rate_limit", "account": "trader-1", "count": 2}], seed=3)
    assert shown["seed"] == 3
    assert [(r["kind"], r["account"], r["count"], r["fired"]) for r in shown["rules"]] == [
        ("rate_limit", "trader-1", 2, 0)
    ]
    async with http.delete(url) as resp:
        assert (resp.status, (await resp.json())["rules"]) == (200, [])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"rules": [{"kind": "meteor"}]}).encode(), "rules.0.kind: Input should be 'latency'"),
        (
            json.dumps({"rules": [{"kind": "stall", "params": {"ms": 5}}]}).encode(),
            "rules.0: stall params: ms: Extra inputs are not permitted",
        ),
        (json.dumps({"seed": -1}).encode(), "seed: Input should be greater than or equal to 0"),
        (json.dumps({"rules": [], "colour": 1}).encode(), "colour: Extra inputs are not permitted"),
    ],
)
async def test_a_bad_plan_is_a_400_naming_the_problem_and_the_old_plan_stays(
    sim_server: Served, http: aiohttp.ClientSession, body: bytes, reason: str
) -> None:
    before = await put_faults(http, sim_server, [{"kind": "maintenance", "route": "/v5/order/*"}])
    async with http.put(f"{sim_server.url}/admin/faults", data=body) as resp:
        assert resp.status == 400
        assert reason in (await resp.json())["error"]
    async with http.get(f"{sim_server.url}/admin/faults") as resp:
        assert await resp.json() == before


async def test_timeout_after_places_the_order_drops_the_answer_and_a_resend_is_refused_as_a_duplicate(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    await put_faults(http, sim_server, [{"kind": "timeout_after", "route": "/v5/order/create", "count": 1}])
    sent_ms = sim_server.venue.clock.now_ms()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await signed(http, sim_server, "POST", "/v5/order/create", order("amb-1"), timestamp=sent_ms)
    assert open_link_ids(sim_server) == ["amb-1"]  # the ambiguous case: it was placed
    # A client resends with a fresh timestamp: within the same millisecond the signature would be a replay.
    _, body, _ = await signed(http, sim_server, "POST", "/v5/order/create", order("amb-1"), timestamp=sent_ms + 1)
    assert body["retCode"] == 170141  # Bybit refuses the same orderLinkId again: no duplicate on a resend
    assert open_link_ids(sim_server) == ["amb-1"]


async def test_timeout_before_drops_the_request_and_nothing_is_placed(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    await put_faults(http, sim_server, [{"kind": "timeout_before", "route": "/v5/order/create", "count": 1}])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await signed(http, sim_server, "POST", "/v5/order/create", order("lost-1"))
    assert open_link_ids(sim_server) == []
    _, body, _ = await signed(http, sim_server, "POST", "/v5/order/create", order("lost-1"))
    assert body["retCode"] == 0 and open_link_ids(sim_server) == ["lost-1"]


async def test_rate_limit_bursts_answer_10006_with_bybits_headers_then_stop(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    await put_faults(
        http, sim_server, [{"kind": "rate_limit", "account": "trader-1", "count": 2, "params": {"limit": 7}}]
    )
    replies = [await signed(http, sim_server, "GET", "/v5/order/realtime", {"category": "spot"}) for _ in range(3)]
    assert [(status, body["retCode"]) for status, body, _ in replies] == [(200, 10006), (200, 10006), (200, 0)]
    headers = replies[0][2]
    assert (headers["X-Bapi-Limit"], headers["X-Bapi-Limit-Status"]) == ("7", "0")
    assert int(headers["X-Bapi-Limit-Reset-Timestamp"]) > replies[0][1]["time"]
    other = await signed(http, sim_server, "GET", "/v5/order/realtime", {"category": "spot"}, key="trader-2")
    assert other[1]["retCode"] == 0  # the rule names trader-1 only


async def test_clock_skew_makes_the_server_time_off_and_fresh_requests_fail_with_10002(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    await put_faults(http, sim_server, [{"kind": "clock_skew", "params": {"skew_ms": 60_000}}])
    async with http.get(f"{sim_server.url}/v5/market/time") as resp:
        server_ms = int((await resp.json())["time"])
    assert server_ms >= sim_server.venue.clock.now_ms() + 59_000
    _, body, _ = await signed(http, sim_server, "POST", "/v5/order/create", order("skew-1"))
    assert body["retCode"] == 10002 and open_link_ids(sim_server) == []
    _, body, _ = await signed(http, sim_server, "POST", "/v5/order/create", order("skew-1"), timestamp=server_ms)
    assert body["retCode"] == 0  # a client that syncs to the server's time gets through


async def test_server_error_and_maintenance_answers(sim_server: Served, http: aiohttp.ClientSession) -> None:
    await put_faults(
        http,
        sim_server,
        [
            {"kind": "server_error", "route": "/v5/order/create", "params": {"status": 502}},
            {"kind": "maintenance", "route": "/v5/account/*"},
        ],
    )
    async with http.post(f"{sim_server.url}/v5/order/create", data=b"{}") as resp:
        assert (resp.status, await resp.text()) == (502, "502 Bad Gateway")
    _, body, _ = await signed(http, sim_server, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
    assert (body["retCode"], body["retMsg"]) == (10016, SERVER_BUSY)
    _, body, _ = await signed(http, sim_server, "GET", "/v5/order/realtime", {"category": "spot"})
    assert body["retCode"] == 0  # other routes are served


async def test_latency_delays_but_serves_and_the_plan_counts_it(
    sim_server: Served, http: aiohttp.ClientSession
) -> None:
    await put_faults(http, sim_server, [{"kind": "latency", "route": "/v5/market/*", "params": {"ms": 20}}])
    async with http.get(f"{sim_server.url}/v5/market/time") as resp:
        assert (await resp.json())["retCode"] == 0
    async with http.get(f"{sim_server.url}/admin/faults") as resp:
        assert (await resp.json())["rules"][0]["fired"] == 1


async def test_the_binance_face_takes_the_same_rest_faults(http: aiohttp.ClientSession) -> None:
    served = await binance.serve_binance(WallClock())
    try:
        rules = [
            {"kind": "rate_limit", "route": "/api/v3/account", "count": 1},
            {"kind": "maintenance", "route": "/api/v3/ping"},
            {"kind": "timeout_after", "route": "/api/v3/order", "count": 1},
        ]
        await put_faults(http, served, rules)
        status, body, headers = await binance.signed(http, served, "GET", "/api/v3/account", {})
        assert (status, body["code"], headers["Retry-After"]) == (429, -1003, "1")
        status, body, _ = await binance.public(http, served, "/api/v3/ping")
        assert (status, body["code"]) == (503, -1008)
        params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        params |= {"quantity": "0.01", "price": "59000", "newClientOrderId": "bn-amb-1"}
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await binance.signed(http, served, "POST", "/api/v3/order", params)
        assert open_link_ids(served) == ["bn-amb-1"]
    finally:
        await served.runner.cleanup()


async def test_the_same_seed_replays_the_same_faults_over_http(sim_server: Served, http: aiohttp.ClientSession) -> None:
    rules = [
        {"kind": "server_error", "route": "/v5/market/*", "probability": 0.3},
        {"kind": "maintenance", "route": "/v5/market/*", "probability": 0.3},
    ]

    async def run() -> list[tuple[int, int | None]]:
        await put_faults(http, sim_server, rules, seed=42)
        outcomes = []
        for _ in range(30):
            async with http.get(f"{sim_server.url}/v5/market/time") as resp:
                body = await resp.json() if resp.content_type == "application/json" else None
                outcomes.append((resp.status, body["retCode"] if body else None))
        return outcomes

    first = await run()
    assert await run() == first
    assert {(503, None), (200, 10016), (200, 0)} == set(first)  # all three outcomes occur in the sequence
