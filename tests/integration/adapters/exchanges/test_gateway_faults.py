"""The gateways that talk to the sim-exchange over the wire, under each fault it can inject on REST and on fills.

For every fault profile and gateway: each call either succeeds or raises the port's documented error
(``ExchangeError`` and its kinds); one client order id is never two orders, even after an ambiguous timeout;
an order whose answer was lost is found by its client id; and an order's fills sum to its filled quantity.
The faults apply to ``trader-1`` (the gateway's key) after the instruments are loaded; each profile is bounded
(counts, short delays), so the whole matrix runs in seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import pytest

from tests.support.bybit_server import Served
from tests.support.faults import put_faults
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway, ExchangeUnavailable
from tradewind.domain.orders import OrderIntent, OrderResult, OrderState
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

from .gateway_support import loaded_wire_gateway

D = Decimal
T = TypeVar("T")
KEY = "trader-1"
CREATE = {"bybit": "/v5/order/create", "binance": "/api/v3/order"}

PROFILES: dict[str, list[dict[str, Any]]] = {
    "latency": [{"kind": "latency", "params": {"dist": "pareto", "ms": 2, "alpha": 1.2, "cap_ms": 40}}],
    "timeout_after": [{"kind": "timeout_after", "route": "{create}", "count": 1}],
    "timeout_before": [{"kind": "timeout_before", "route": "{create}", "count": 1}],
    "rate_limit": [{"kind": "rate_limit", "count": 2}],
    "server_error": [{"kind": "server_error", "route": "{create}", "count": 1, "params": {"status": 503}}],
    "maintenance": [{"kind": "maintenance", "route": "{create}", "count": 1}],
    "clock_skew": [{"kind": "clock_skew", "count": 3, "params": {"skew_ms": 30_000}}],
    "odd_partial_fills": [{"kind": "odd_partial_fills", "route": "spot.BTCUSDT", "params": {"max_pieces": 7}}],
    "random_mix": [
        {"kind": "server_error", "probability": 0.2},
        {"kind": "timeout_after", "route": "{create}", "probability": 0.3},
        {"kind": "rate_limit", "probability": 0.2},
        {"kind": "odd_partial_fills", "params": {"max_pieces": 4}},
    ],
}


def _rules(profile: str, face: str) -> list[dict[str, Any]]:
    out = []
    for given in PROFILES[profile]:
        rule = {**given, "account": KEY}
        if "route" in rule:
            rule["route"] = rule["route"].replace("{create}", CREATE[face])
        out.append(rule)
    return out


@pytest.fixture(params=["bybit-v5", "unified", "binance"])
async def wire_gateway(request: pytest.FixtureRequest, sim_server: Served) -> AsyncIterator[ExchangeGateway]:
    async with loaded_wire_gateway(request.param, sim_server.url) as gw:
        yield gw


def intent(cid: str, *, qty: str = "0.01", price: str | None = "59000") -> OrderIntent:
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    p = None if price is None else D(price)
    return OrderIntent(cid, "x", Category.SPOT, "BTCUSDT", Side.BUY, kind, D(qty), p, TimeInForce.GTC)


async def _either(call: Callable[[], Awaitable[T]]) -> T | ExchangeError:
    """The call's result, or the port's documented error; anything else fails the test."""
    try:
        return await call()
    except ExchangeError as exc:
        return exc


def _orders_with(served: Served, cid: str) -> int:
    account = served.venue.account(KEY)
    assert account is not None
    return sum(1 for o in account.orders_newest_first(open_only=False) if o.order_link_id == cid)


@pytest.mark.parametrize("profile", sorted(PROFILES))
async def test_a_gateway_under_a_fault_keeps_one_order_per_client_id_and_exact_fills(
    wire_gateway: ExchangeGateway,
    sim_server: Served,
    request: pytest.FixtureRequest,
    profile: str,
) -> None:
    gateway = wire_gateway
    face = "binance" if request.node.callspec.params["wire_gateway"] == "binance" else "bybit"
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, _rules(profile, face), seed=19)
        resting = await _either(lambda: gateway.place_order(intent("f-rest")))
        market = await _either(lambda: gateway.place_order(intent("f-mkt", qty="0.02", price=None)))
        cancelled = await _either(lambda: gateway.cancel_order(Category.SPOT, "BTCUSDT", "f-rest"))
        fills = await _either(lambda: gateway.fetch_fills(Category.SPOT, "BTCUSDT", client_order_id="f-mkt"))
        async with http.get(f"{sim_server.url}/admin/faults") as resp:
            fired = sum(rule["fired"] for rule in (await resp.json())["rules"])
        async with http.delete(f"{sim_server.url}/admin/faults") as resp:
            assert resp.status == 200

    assert fired > 0, f"{profile} never fired: the test would prove nothing"
    for cid, outcome in (("f-rest", resting), ("f-mkt", market)):
        assert _orders_with(sim_server, cid) <= 1, f"{cid} placed twice under {profile}"
        found = await gateway.fetch_order(Category.SPOT, "BTCUSDT", cid)
        if isinstance(outcome, OrderResult):  # what the gateway said is what the venue has
            assert found is not None and found.exchange_order_id == outcome.exchange_order_id
        else:  # refused or unknown: if the venue has it, the client id finds it
            assert (found is not None) == (_orders_with(sim_server, cid) == 1)
    if isinstance(cancelled, OrderResult):
        assert cancelled.is_final
    mkt = await gateway.fetch_order(Category.SPOT, "BTCUSDT", "f-mkt")
    if mkt is not None:
        assert mkt.state is OrderState.FILLED
        all_fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT", client_order_id="f-mkt")
        assert sum((f.qty for f in all_fills), D(0)) == mkt.filled_qty == D("0.02")
        if isinstance(fills, list):
            assert sum((f.qty for f in fills), D(0)) == mkt.filled_qty
        if profile == "odd_partial_fills":
            assert len(all_fills) > 1 and len({f.trade_id for f in all_fills}) == len(all_fills)


async def test_after_an_ambiguous_timeout_the_gateway_returns_the_order_that_was_placed(
    wire_gateway: ExchangeGateway, sim_server: Served, request: pytest.FixtureRequest
) -> None:
    face = "binance" if request.node.callspec.params["wire_gateway"] == "binance" else "bybit"
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, _rules("timeout_after", face))
        result = await wire_gateway.place_order(intent("amb-1"))
        async with http.get(f"{sim_server.url}/admin/faults") as resp:
            fired = (await resp.json())["rules"][0]["fired"]
    assert fired == 1  # the answer to the create was lost
    assert (result.client_order_id, result.state) == ("amb-1", OrderState.NEW)
    assert _orders_with(sim_server, "amb-1") == 1


BUSY = {
    "maintenance": {"kind": "maintenance"},  # Bybit retCode 10016, Binance -1008 (HTTP 503)
    "server_error": {"kind": "server_error", "params": {"status": 502}},
}


@pytest.mark.parametrize("busy", sorted(BUSY))
async def test_a_busy_exchange_is_unavailable_and_a_retry_after_it_makes_one_order(
    wire_gateway: ExchangeGateway, sim_server: Served, request: pytest.FixtureRequest, busy: str
) -> None:
    """Busy answers are the port's retryable ExchangeUnavailable (not a refusal): the gateway looks the order up by
    its client id and sends again, so a short outage costs no order and a long one raises for the caller to wait."""
    face = "binance" if request.node.callspec.params["wire_gateway"] == "binance" else "bybit"
    async with aiohttp.ClientSession() as http:
        await put_faults(http, sim_server, [{**BUSY[busy], "account": KEY, "route": CREATE[face], "count": 1}])
        once = await wire_gateway.place_order(intent("busy-1"))
        await put_faults(http, sim_server, [{**BUSY[busy], "account": KEY, "route": CREATE[face]}])
        with pytest.raises(ExchangeUnavailable):
            await wire_gateway.place_order(intent("busy-2"))
        async with http.get(f"{sim_server.url}/admin/faults") as resp:
            fired = (await resp.json())["rules"][0]["fired"]
    assert (once.client_order_id, once.state) == ("busy-1", OrderState.NEW)
    assert _orders_with(sim_server, "busy-1") == 1
    assert _orders_with(sim_server, "busy-2") == 0
    assert fired > 1  # every send of busy-2 was answered busy, and the gateway retried
