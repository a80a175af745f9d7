"""Rate-limit answers (Bybit retCode 10006, Binance HTTP 429 / -1003) back off and retry: every order goes through
once; with no retries left the caller gets RateLimited and the refused order is not on the exchange."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from aiohttp import web

from tests.support.bybit_server import seeded_venue
from tradewind.adapters.clock import WallClock
from tradewind.application.ports.exchange import RateLimited
from tradewind.application.venue import SimVenue
from tradewind.domain.orders import OrderIntent, OrderState
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.interfaces.sim_exchange.binance_spot.settings import BinanceSpotSettings
from tradewind.interfaces.sim_exchange.bybit_v5 import RateLimitSettings

from .gateway_support import ccxt_gateway

KINDS = {"bybit-v5": {"api": "bybit-v5"}, "unified": {"api": "unified"}, "binance": {"type": "binance"}}


@dataclass
class Limited:
    venue: SimVenue
    url: str
    refusals: Counter[str]


def _counting(refusals: Counter[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        body = response.body if isinstance(response, web.Response) else b""
        if response.status == 429 or b'"retCode":10006' in (body if isinstance(body, bytes) else b""):
            refusals[f"{request.method} {request.path}"] += 1
        return response

    return middleware


@pytest.fixture
async def limited() -> AsyncIterator[Limited]:
    """Two spot creates per 300 ms on the Bybit face; 30 request weight per 300 ms on the Binance face."""
    venue = seeded_venue(WallClock())
    bybit = RateLimitSettings(window_ms=300, limits={"/v5/order/create": 2, "/v5/order/create:spot": 2})
    settings = SimExchangeSettings(
        port=0, rate_limits=bybit, binance=BinanceSpotSettings(weight_limit=30, weight_window_ms=300)
    )
    app = create_sim_exchange_app(venue, settings)
    refusals: Counter[str] = Counter()
    app.middlewares.insert(0, _counting(refusals))
    runner, port = await start_server(app, "127.0.0.1", 0)
    yield Limited(venue, f"http://127.0.0.1:{port}", refusals)
    await runner.cleanup()


def _buy(cid: str) -> OrderIntent:
    return OrderIntent(
        cid, "x", Category.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal("59000")
    )


def _on_exchange(venue: SimVenue, prefix: str) -> list[str]:
    account = venue.account("trader-1")
    assert account is not None
    return sorted(
        o.order_link_id for o in account.orders_newest_first(open_only=False) if o.order_link_id.startswith(prefix)
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_rate_limited_orders_back_off_and_each_goes_through_once(limited: Limited, kind: str) -> None:
    gateway = ccxt_gateway(limited.url, backoff_s=0.05, max_retries=8, **KINDS[kind])
    cids = [f"rl-{kind}-{i}" for i in range(5)]
    try:
        await gateway.load_instruments()
        results = [await gateway.place_order(_buy(cid)) for cid in cids]
    finally:
        await gateway.close()
    assert [r.state for r in results] == [OrderState.NEW] * 5
    assert _on_exchange(limited.venue, f"rl-{kind}-") == cids
    assert sum(limited.refusals.values()) >= 1  # the limit was hit, and waited out


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_with_no_retries_left_the_caller_gets_rate_limited_and_nothing_is_placed(
    limited: Limited, kind: str
) -> None:
    gateway = ccxt_gateway(limited.url, backoff_s=0.05, max_retries=0, **KINDS[kind])
    placed: list[str] = []
    try:
        await gateway.load_instruments()
        with pytest.raises(RateLimited):
            for i in range(10):
                await gateway.place_order(_buy(f"burst-{kind}-{i}"))
                placed.append(f"burst-{kind}-{i}")
    finally:
        await gateway.close()
    assert _on_exchange(limited.venue, f"burst-{kind}-") == sorted(placed)
