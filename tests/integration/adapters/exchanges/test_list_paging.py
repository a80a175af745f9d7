"""Lists longer than one page over loopback: every gateway reads open orders, positions and instruments whole, and a
venue whose cursor never ends gets a clear error instead of being read for ever."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.support.bybit_server import Served, seed_books, serve, venue_settings
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import gateway as ccxt_gateway_module
from tradewind.application.ports.exchange import ExchangeError
from tradewind.application.venue import MarketUnit, OrderRequest, SimVenue
from tradewind.domain.instruments import Instrument, default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side
from tradewind.interfaces.sim_exchange import start_server

from .gateway_support import ccxt_gateway

D = Decimal
RESTING = 120  # more than two pages of /v5/order/realtime (at most 50 a page)
EXTRA_LINEAR = 1010  # with BTC and ETH, more instruments than one page of instruments-info (at most 1000)
HELD = 205  # more positions than one page of /v5/position/list (at most 200)
FILLED = 1100  # more orders than a page of Binance's allOrders (at most 1000) or of Bybit's order history (50)


def _gateway(kind: str, url: str) -> Any:
    return ccxt_gateway(url, type="binance") if kind == "binance" else ccxt_gateway(url, api=kind)


def _rest_orders(served: Served, category: Category, prefix: str) -> list[str]:
    """RESTING limit buys of trader-1 at 50 000, 50 001, ...; their client ids, oldest first."""
    cids = [f"{prefix}-{i:03d}" for i in range(RESTING)]
    for i, cid in enumerate(cids):
        order = OrderRequest(
            category, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.001"), D(50_000 + i), order_link_id=cid
        )  # fmt: skip
        served.venue.place_order("trader-1", order)
    return cids


async def _listed(kind: str, served: Served, category: Category, oldest_cid: str) -> tuple[list[Any], list[Any], Any]:
    """The open orders by symbol and without one, and the oldest order looked up by its client id."""
    gateway = _gateway(kind, served.url)
    await gateway.load_instruments()
    try:
        by_symbol = await gateway.fetch_open_orders(category, "BTCUSDT")
        every = await gateway.fetch_open_orders(category)
        oldest = await gateway.fetch_order(category, "BTCUSDT", oldest_cid)  # on the last page when listed
    finally:
        await gateway.close()
    return by_symbol, every, oldest


@pytest.mark.parametrize("kind", ["bybit-v5", "unified", "binance"])
async def test_more_open_spot_orders_than_a_page_come_back_whole(sim_server: Served, kind: str) -> None:
    cids = _rest_orders(sim_server, Category.SPOT, "rest")
    by_symbol, every, oldest = await _listed(kind, sim_server, Category.SPOT, cids[0])

    assert sorted(o.client_order_id for o in by_symbol) == cids
    assert sorted(o.client_order_id for o in every) == cids
    assert {o.price for o in by_symbol} == {D(50_000 + i) for i in range(RESTING)}
    assert oldest is not None and oldest.price == D(50_000)


@pytest.mark.parametrize("kind", ["bybit-v5", "unified"])
async def test_open_linear_orders_over_pages_include_the_partial_tp_sl_orders(sim_server: Served, kind: str) -> None:
    venue = sim_server.venue
    buy = OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.01"))
    venue.place_order("trader-1", buy)
    partial_ids = set()
    for tp, sl in (("65000", "55000"), ("66000", "54000")):
        made = venue.add_partial_stop("trader-1", "BTCUSDT", take_profit=D(tp), stop_loss=D(sl), size=D("0.002"))
        partial_ids |= {o.order_id for o in made if o is not None}
    cids = _rest_orders(sim_server, Category.LINEAR, "lin")
    listed, every, oldest = await _listed(kind, sim_server, Category.LINEAR, cids[0])

    assert len(partial_ids) == 4
    for found in (listed, every):
        assert sorted(o.client_order_id for o in found if o.client_order_id) == cids
        assert {o.exchange_order_id for o in found} >= partial_ids
        assert len(found) == RESTING + len(partial_ids)
    assert oldest is not None and oldest.price == D(50_000)


@pytest.fixture
async def many_perps() -> AsyncIterator[Served]:
    """A venue with EXTRA_LINEAR more perpetuals, trader-1 long 1 contract of the first HELD of them."""
    extra = [
        Instrument(f"C{i:04d}USDT", Category.LINEAR, f"C{i:04d}", "USDT", D("0.01"), D(1), D(1), D(10**6), D(5))
        for i in range(EXTRA_LINEAR)
    ]
    clock = WallClock()
    instruments = (*default_instruments(), *extra)
    venue = SimVenue([MatchingEngine(i) for i in instruments], clock, venue_settings())
    seed_books(venue)
    for inst in extra[:HELD]:
        venue.place_order("maker", OrderRequest(Category.LINEAR, inst.symbol, Side.SELL, OrderType.LIMIT, D(1), D(10)))
        venue.place_order("trader-1", OrderRequest(Category.LINEAR, inst.symbol, Side.BUY, OrderType.MARKET, D(1)))
    served = await serve(clock, venue=venue)
    yield served
    await served.runner.cleanup()


@pytest.mark.parametrize("kind", ["bybit-v5", "unified"])
async def test_more_positions_and_instruments_than_a_page_come_back_whole(many_perps: Served, kind: str) -> None:
    gateway = _gateway(kind, many_perps.url)
    try:
        loaded = await gateway.load_instruments()
        positions = await gateway.fetch_positions(Category.LINEAR)
    finally:
        await gateway.close()

    linear = {i.symbol for i in loaded if i.category is Category.LINEAR}
    assert linear == {"BTCUSDT", "ETHUSDT", *(f"C{i:04d}USDT" for i in range(EXTRA_LINEAR))}
    assert sorted(p.symbol for p in positions) == [f"C{i:04d}USDT" for i in range(HELD)]
    assert {p.size for p in positions} == {D(1)}


async def test_the_sim_server_pages_linear_instruments_by_cursor_and_answers_spot_whole(sim_server: Served) -> None:
    url = sim_server.url + "/v5/market/instruments-info"
    symbols: list[str] = []
    cursor, calls = "", 0
    async with aiohttp.ClientSession() as session:
        while True:
            query = {"category": "linear", "limit": "1", **({"cursor": cursor} if cursor else {})}
            async with session.get(url, params=query) as resp:
                result = (await resp.json())["result"]
            calls += 1
            symbols += [row["symbol"] for row in result["list"]]
            cursor = result["nextPageCursor"]
            if not cursor:
                break
        async with session.get(url, params={"category": "spot", "limit": "1"}) as resp:
            spot = (await resp.json())["result"]
        async with session.get(url, params={"category": "linear", "limit": "1001"}) as resp:
            too_many = await resp.json()

    assert (sorted(symbols), calls) == (["BTCUSDT", "ETHUSDT"], 2)
    assert (sorted(row["symbol"] for row in spot["list"]), spot["nextPageCursor"]) == (["BTCUSDT", "ETHUSDT"], "")
    assert too_many["retCode"] == 10001 and "limit" in too_many["retMsg"]


class EndlessVenue:
    """A /v5/order/realtime that always names a next page: a new cursor each time, or ``repeat`` the same one."""

    def __init__(self, *, repeat: bool) -> None:
        self.repeat = repeat
        self.cursors: list[str] = []

    async def realtime(self, request: web.Request) -> web.Response:
        self.cursors.append(request.query.get("cursor", ""))
        n = len(self.cursors)
        row = {"orderId": f"o{n}", "orderLinkId": f"c{n}", "symbol": "BTCUSDT", "side": "Buy", "orderStatus": "New",
               "qty": "0.001", "price": "50000", "cumExecQty": "0"}  # fmt: skip
        result = {"category": "spot", "list": [row], "nextPageCursor": "again" if self.repeat else f"page-{n}"}
        body = {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": int(time.time() * 1000)}
        return web.json_response(body)


@pytest.mark.parametrize("repeat", [False, True])
async def test_a_cursor_that_never_ends_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch, repeat: bool) -> None:
    monkeypatch.setattr(ccxt_gateway_module, "MAX_PAGES", 5)
    venue = EndlessVenue(repeat=repeat)
    app = web.Application()
    app.router.add_get("/v5/order/realtime", venue.realtime)
    runner, port = await start_server(app, "127.0.0.1", 0)
    gateway = ccxt_gateway(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(ExchangeError) as caught:
            await gateway.fetch_open_orders(Category.SPOT, "BTCUSDT")
    finally:
        await gateway.close()
        await runner.cleanup()

    if repeat:
        assert "named the page cursor 'again' again" in str(caught.value)
        assert venue.cursors == ["", "again"]
    else:
        assert "still a next page after 5 pages (cursor 'page-5')" in str(caught.value)
        assert venue.cursors == ["", "page-1", "page-2", "page-3", "page-4"]
    assert "open orders" in str(caught.value)


@pytest.mark.parametrize("kind", ["unified", "binance"])
async def test_fills_of_more_orders_than_a_history_page_are_named_by_a_fresh_gateway(
    sim_server: Served, kind: str
) -> None:
    """ccxt's trades name only the exchange order id: the client ids come from order history read page by page."""
    since_ns = sim_server.venue.clock.now_ns()
    cids = [f"fill-{i:04d}" for i in range(FILLED)]
    for cid in cids:
        order = OrderRequest(
            Category.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.001"), market_unit=MarketUnit.BASE,
            order_link_id=cid,
        )  # fmt: skip
        sim_server.venue.place_order("trader-1", order)
    gateway = _gateway(kind, sim_server.url)
    await gateway.load_instruments()
    try:
        fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT", since_ns=since_ns)
    finally:
        await gateway.close()

    assert sorted(f.client_order_id for f in fills) == cids
