"""CcxtGateway failure paths over loopback: a timed-out order is never duplicated, mainnet is guarded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.bybit_server import Served
from tradewind.application.ports.exchange import ExchangeUnavailable, RealOrdersRefused
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import StallingProxy, ccxt_gateway

D = Decimal


def _buy(cid: str, category: Category = Category.LINEAR) -> OrderIntent:
    return OrderIntent(cid, "bybit", category, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.01"), D("59000"))


def _orders_with(served: Served, cid: str) -> int:
    account = served.venue.account("trader-1")
    assert account is not None
    return sum(1 for o in account.orders_newest_first(open_only=False) if o.order_link_id == cid)


@pytest.mark.parametrize(
    ("kind", "create_path", "category"),
    [
        ("bybit-v5", "/v5/order/create", Category.LINEAR),
        ("unified", "/v5/order/create", Category.LINEAR),
        ("binance", "/api/v3/order", Category.SPOT),
    ],
)
async def test_order_sent_twice_through_a_timeout_is_one_order_on_the_exchange(
    sim_server: Served, kind: str, create_path: str, category: Category
) -> None:
    proxy = StallingProxy(sim_server.url, path=create_path)
    entry = {"type": "binance"} if kind == "binance" else {"api": kind}
    gateway = ccxt_gateway(await proxy.start(), timeout_s=0.5, **entry)
    try:
        await gateway.load_instruments()
        result = await gateway.place_order(_buy("timeout-1", category))  # create times out; the look-up finds it
        again = await gateway.place_order(_buy("timeout-1", category))  # the caller retries too: still the same order
    finally:
        await gateway.close()
        await proxy.close()
    assert result.state is OrderState.NEW and again.exchange_order_id == result.exchange_order_id
    # bybit-v5: one stalled send, then the caller's resend answered "duplicate". unified: the caller's retry finds the
    # order in the look-up it makes before every send, so nothing is sent twice at all.
    assert proxy.forwarded.count(f"POST {create_path}") == (2 if kind == "bybit-v5" else 1)
    assert _orders_with(sim_server, "timeout-1") == 1


async def test_exchange_down_raises_unavailable_after_retries(sim_server: Served) -> None:
    gateway = ccxt_gateway("http://127.0.0.1:9", max_retries=1)  # nothing listens on port 9
    try:
        gateway._instruments = dict(await _instruments_from(sim_server))
        with pytest.raises(ExchangeUnavailable):
            await gateway.place_order(_buy("down-1"))
    finally:
        await gateway.close()


async def _instruments_from(served: Served) -> dict[tuple[Category, str], object]:
    probe = ccxt_gateway(served.url)
    try:
        return {(i.category, i.symbol): i for i in await probe.load_instruments()}
    finally:
        await probe.close()


async def test_mainnet_refuses_orders_without_allow_real_orders(sim_server: Served) -> None:
    gateway = ccxt_gateway(sim_server.url, env="mainnet")
    gateway.client.urls["api"] = {k: sim_server.url for k in ("spot", "futures", "v2", "public", "private")}
    try:
        await gateway.load_instruments()
        with pytest.raises(RealOrdersRefused, match="allow_real_orders"):
            await gateway.place_order(_buy("main-1"))
    finally:
        await gateway.close()
    assert _orders_with(sim_server, "main-1") == 0
