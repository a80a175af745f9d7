"""pybit, Bybit's own V5 client, unmodified but for its URLs, against the simulator over loopback.

pybit's HTTP client is synchronous (requests): each call runs in a thread so the server keeps serving on this loop.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pybit._helpers as pybit_helpers
import pybit.unified_trading as unified
import pytest
from pybit.exceptions import InvalidRequestError

from tests.support.bybit_server import START, Served, secret_of, seed_books, serve, venue_settings
from tests.support.bybit_ws import ws_server
from tests.support.waiting import wait_for
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.application.venue import OrderRequest, SimVenue
from tradewind.application.venue.settings import MarginMode, PerpSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, OrderType, Side

D = Decimal


def _http(served: Served, key: str = "trader-1", ignore_codes: frozenset[int] = frozenset()) -> unified.HTTP:
    session = unified.HTTP(
        testnet=False, api_key=key, api_secret=secret_of(key), max_retries=1, ignore_codes=set(ignore_codes)
    )
    # pybit builds https://{subdomain}.{domain}.{tld} and has no parameter for another host; every call reads
    # ``endpoint`` when it is made, so setting it after construction points the client at loopback.
    session.endpoint = served.url
    return session


async def call(method: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
    """One pybit call in a thread; returns its ``result``."""
    body = await asyncio.to_thread(method, **params)
    assert body["retCode"] == 0, body
    result: dict[str, Any] = body["result"]
    return result


@pytest.fixture
def pybit(wall_server: Served) -> unified.HTTP:
    return _http(wall_server)


async def test_instruments_info_carries_the_filters_and_the_funding_interval_in_minutes(
    wall_server: Served, pybit: unified.HTTP
) -> None:
    result = await call(pybit.get_instruments_info, category="linear", symbol="BTCUSDT")
    (item,) = result["list"]
    assert (item["symbol"], item["contractType"], item["settleCoin"]) == ("BTCUSDT", "LinearPerpetual", "USDT")
    assert item["fundingInterval"] == wall_server.venue.funding_interval_ms // 60_000 == 480
    assert item["lotSizeFilter"]["qtyStep"] == "0.001" and item["priceFilter"]["tickSize"] == "0.1"
    spot = await call(pybit.get_instruments_info, category="spot", symbol="BTCUSDT")
    assert spot["list"][0]["lotSizeFilter"]["basePrecision"] == "0.000001"


async def test_funding_interval_follows_the_venue_setting() -> None:
    settings = venue_settings().model_copy(update={"perp": PerpSettings(funding_interval_hours=4)})
    venue = SimVenue([MatchingEngine(i) for i in default_instruments()], WallClock(), settings)
    seed_books(venue)
    served = await serve(WallClock(), venue=venue)
    try:
        session = _http(served)
        (item,) = (await call(session.get_instruments_info, category="linear", symbol="ETHUSDT"))["list"]
        (ticker,) = (await call(session.get_tickers, category="linear", symbol="ETHUSDT"))["list"]
    finally:
        await served.runner.cleanup()
    assert (item["fundingInterval"], ticker["fundingIntervalHour"]) == (240, "4")


async def test_tickers_show_funding_mark_and_index(wall_server: Served, pybit: unified.HTTP) -> None:
    venue = wall_server.venue
    venue.tick()
    (ticker,) = (await call(pybit.get_tickers, category="linear", symbol="BTCUSDT"))["list"]
    assert (ticker["bid1Price"], ticker["ask1Price"]) == ("59990", "60010")
    assert ticker["fundingRate"] == "0.0001"  # no premium on the seeded books: the interest rate alone
    assert ticker["nextFundingTime"] == str(venue.next_funding_time("BTCUSDT"))
    assert D(ticker["markPrice"]) == venue.mark_price("BTCUSDT")
    assert ticker["indexPrice"] == "60000"
    (spot,) = (await call(pybit.get_tickers, category="spot", symbol="BTCUSDT"))["list"]
    assert "fundingRate" not in spot and spot["usdIndexPrice"]


async def test_orderbook_levels_best_first(pybit: unified.HTTP) -> None:
    book = await call(pybit.get_orderbook, category="linear", symbol="BTCUSDT", limit=2)
    assert book["s"] == "BTCUSDT"
    assert book["b"] == [["59990", "1"], ["59980", "1"]] and book["a"] == [["60010", "1"], ["60020", "1"]]
    assert isinstance(book["u"], int) and isinstance(book["ts"], int)


async def test_place_amend_cancel_and_the_order_lists(wall_server: Served, pybit: unified.HTTP) -> None:
    placed = await call(
        pybit.place_order,
        category="linear",
        symbol="BTCUSDT",
        side="Buy",
        orderType="Limit",
        qty="0.01",
        price="59000",
        orderLinkId="pybit-1",
    )
    assert placed["orderLinkId"] == "pybit-1" and placed["orderId"]
    (open_order,) = (await call(pybit.get_open_orders, category="linear", symbol="BTCUSDT"))["list"]
    assert (open_order["orderId"], open_order["orderStatus"], open_order["price"]) == (
        placed["orderId"],
        "New",
        "59000",
    )
    amended = await call(
        pybit.amend_order, category="linear", symbol="BTCUSDT", orderLinkId="pybit-1", price="59100", qty="0.02"
    )
    assert amended == {"orderId": placed["orderId"], "orderLinkId": "pybit-1"}
    (open_order,) = (await call(pybit.get_open_orders, category="linear", symbol="BTCUSDT"))["list"]
    assert (open_order["price"], open_order["qty"], open_order["leavesQty"]) == ("59100", "0.02", "0.02")
    await call(pybit.cancel_order, category="linear", symbol="BTCUSDT", orderId=placed["orderId"])
    assert (await call(pybit.get_open_orders, category="linear", symbol="BTCUSDT"))["list"] == []
    (closed,) = (await call(pybit.get_order_history, category="linear", symbol="BTCUSDT"))["list"]
    assert (closed["orderId"], closed["orderStatus"], closed["cancelType"]) == (
        placed["orderId"],
        "Cancelled",
        "CancelByUser",
    )


async def test_refusals_raise_invalid_request_with_bybits_code(pybit: unified.HTTP) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await asyncio.to_thread(pybit.cancel_order, category="linear", symbol="BTCUSDT", orderId="no-such-order")
    assert refused.value.status_code == 110001


async def test_executions_page_through_every_fill(wall_server: Served, pybit: unified.HTTP) -> None:
    for _ in range(5):
        await call(pybit.place_order, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.01")
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await call(pybit.get_executions, category="linear", symbol="BTCUSDT", limit=2, cursor=cursor)
        seen += page["list"]
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    assert len(seen) == 5 and len({e["execId"] for e in seen}) == 5
    assert all(
        (e["execType"], e["execPrice"], e["execQty"], e["isMaker"]) == ("Trade", "60010", "0.01", False) for e in seen
    )
    assert all(D(e["execFee"]) == D("0.01") * 60010 * D("0.00055") for e in seen)


async def test_positions_wallet_and_leverage(wall_server: Served, pybit: unified.HTTP) -> None:
    await call(pybit.set_leverage, category="linear", symbol="BTCUSDT", buyLeverage="5", sellLeverage="5")
    await call(pybit.place_order, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.1")
    (position,) = (await call(pybit.get_positions, category="linear", symbol="BTCUSDT"))["list"]
    assert (position["side"], position["size"], position["avgPrice"], position["leverage"]) == (
        "Buy",
        "0.1",
        "60010",
        "5",
    )
    assert position["positionIM"] == "1200.2"  # 6 001 / 5
    assert D(position["positionMM"]) == D("0.1") * D(position["markPrice"]) * D("0.005")
    assert position["liqPrice"] == ""  # cross margin: the whole account backs it
    wallet = (await call(pybit.get_wallet_balance, accountType="UNIFIED", coin="USDT"))["list"][0]
    (usdt,) = wallet["coin"]
    assert wallet["accountType"] == "UNIFIED"
    assert D(usdt["walletBalance"]) == START["USDT"] - D("6001") * D("0.00055")
    assert usdt["totalPositionIM"] == "1200.2"
    assert usdt["totalPositionMM"] == wallet["totalMaintenanceMargin"] == position["positionMM"] != "0"
    with pytest.raises(InvalidRequestError) as same:
        await asyncio.to_thread(
            pybit.set_leverage, category="linear", symbol="BTCUSDT", buyLeverage="5", sellLeverage="5"
        )
    assert same.value.status_code == 110043


async def test_transaction_log_and_funding_history_after_a_settlement(
    frozen_server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue, clock = frozen_server.venue, frozen_server.venue.clock
    assert isinstance(clock, SimClock)
    # pybit stamps requests with its own clock (time.time in _helpers): here it reads the server's simulated one,
    # as a client that keeps in step with the server's time would, so a funding interval passes in no time.
    monkeypatch.setattr(pybit_helpers, "generate_timestamp", clock.now_ms)
    venue.place_order("trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.1")))
    venue.tick()
    settled_at = venue.next_funding_time("BTCUSDT")
    await clock.advance((settled_at - clock.now_ms()) / 1000)
    venue.tick()
    session = _http(frozen_server)
    history = await call(session.get_funding_rate_history, category="linear", symbol="BTCUSDT")
    log = await call(session.get_transaction_log, category="linear", type="SETTLEMENT")
    assert history["list"] == [{"symbol": "BTCUSDT", "fundingRate": "0.0001", "fundingRateTimestamp": str(settled_at)}]
    (row,) = log["list"]
    assert (row["symbol"], row["type"], row["side"], row["size"]) == ("BTCUSDT", "SETTLEMENT", "Buy", "0.1")
    assert row["transactionTime"] == str(settled_at)
    assert D(row["funding"]) == -D("0.1") * D(row["tradePrice"]) * D("0.0001") != 0  # a long pays a positive rate


async def test_switch_margin_mode_changes_how_positions_are_margined(wall_server: Served, pybit: unified.HTTP) -> None:
    venue = wall_server.venue
    account = venue.account("trader-1")
    assert account is not None and account.margin_mode is MarginMode.CROSS
    assert await call(pybit.set_margin_mode, setMarginMode="ISOLATED_MARGIN") == {"reasons": []}
    assert account.margin_mode is MarginMode.ISOLATED
    info = await call(pybit.get_account_info)
    assert info["marginMode"] == "ISOLATED_MARGIN"
    await call(pybit.place_order, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.1")
    (position,) = (await call(pybit.get_positions, category="linear", symbol="BTCUSDT"))["list"]
    # Isolated at 10x: liquidation at 60 010 x (1 - 0.1 + 0.005), rounded up to the tick; bankrupt at 60 010 x 0.9.
    assert (position["liqPrice"], position["bustPrice"]) == ("54309.1", "54009")

    with pytest.raises(InvalidRequestError) as locked:
        await asyncio.to_thread(pybit.set_margin_mode, setMarginMode="REGULAR_MARGIN")
    assert (locked.value.status_code, locked.value.message) == (3400045, "Set margin mode failed")
    # pybit raises with retMsg alone; told to pass 3400045 through, it shows the reasons Bybit lists in the result.
    told = _http(wall_server, ignore_codes=frozenset({3400045}))
    body = await asyncio.to_thread(told.set_margin_mode, setMarginMode="REGULAR_MARGIN")
    (reason,) = body["result"]["reasons"]
    assert reason["reasonCode"] == "3400045" and "BTCUSDT" in reason["reasonMsg"]
    assert account.margin_mode is MarginMode.ISOLATED  # refused: nothing changed


@pytest.mark.parametrize(
    ("mode", "code", "fragment"),
    [
        ("PORTFOLIO_MARGIN", 3400045, "PORTFOLIO_MARGIN is not simulated"),
        ("CROSS", 10001, "setMarginMode must be"),
    ],
)
async def test_margin_modes_the_venue_does_not_have_are_refused(
    wall_server: Served, mode: str, code: int, fragment: str
) -> None:
    told = _http(wall_server, ignore_codes=frozenset({code}))
    body = await asyncio.to_thread(told.set_margin_mode, setMarginMode=mode)
    assert body["retCode"] == code and fragment in json.dumps(body)
    account = wall_server.venue.account("trader-1")
    assert account is not None and account.margin_mode is MarginMode.CROSS


# --- WebSocket ---------------------------------------------------------------------------------------


@pytest.fixture
def pybit_ws_urls(wall_server: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pybit's stream URLs are module constants (``.com`` hard-coded): point them at the server before connecting."""
    ws_url = wall_server.url.replace("http://", "ws://")
    monkeypatch.setattr(unified, "PUBLIC_WSS", ws_url + "/v5/public/{CHANNEL_TYPE}")
    monkeypatch.setattr(unified, "PRIVATE_WSS", ws_url + "/v5/private")
    yield


async def _socket(**params: Any) -> unified.WebSocket:
    """pybit connects in its constructor and waits for the socket: in a thread, so the server can answer."""
    return await asyncio.to_thread(unified.WebSocket, testnet=False, **params)


async def test_public_streams_deliver_book_snapshot_and_trades(wall_server: Served, pybit_ws_urls: None) -> None:
    books: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    ws = await _socket(channel_type="linear")
    try:
        # Trades first: the book's snapshot then proves the server has taken both subscriptions (one socket, in order).
        await asyncio.to_thread(ws.trade_stream, "BTCUSDT", trades.append)
        # pybit hands over its own merged book (type "snapshot", its live dict): keep a copy of each.
        await asyncio.to_thread(ws.orderbook_stream, 50, "BTCUSDT", lambda m: books.append(copy.deepcopy(m)))
        await wait_for(lambda: bool(books))
        snapshot = books[0]
        assert (snapshot["topic"], snapshot["type"]) == ("orderbook.50.BTCUSDT", "snapshot")
        assert snapshot["data"]["b"][0] == ["59990", "1"] and snapshot["data"]["a"][0] == ["60010", "1"]
        wall_server.venue.place_order(
            "trader-1", OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.25"))
        )
        await wait_for(lambda: bool(trades))
        (trade,) = trades[0]["data"]
        assert (trade["s"], trade["S"], trade["v"], trade["p"]) == ("BTCUSDT", "Buy", "0.25", "60010")
        # The server's delta, applied by pybit (which raises on one that does not fit its book): 0.75 left at 60 010.
        await wait_for(lambda: books[-1]["data"]["a"][0] == ["60010", "0.75"])
        assert books[-1]["data"]["a"][1] == ["60020", "1"] and books[-1]["data"]["b"][0] == ["59990", "1"]
    finally:
        await asyncio.to_thread(ws.exit)


async def test_private_streams_deliver_our_orders_and_executions(wall_server: Served, pybit_ws_urls: None) -> None:
    orders: list[dict[str, Any]] = []
    executions: list[dict[str, Any]] = []
    ws = await _socket(channel_type="private", api_key="trader-1", api_secret=secret_of("trader-1"))
    try:
        await asyncio.to_thread(ws.order_stream, orders.append)
        await asyncio.to_thread(ws.execution_stream, executions.append)
        hub = ws_server(wall_server).private  # pybit sends a subscription without waiting for its answer
        await wait_for(lambda: hub.subscribers("trader-1", "order") == hub.subscribers("trader-1", "execution") == 1)
        session = _http(wall_server)
        placed = await call(
            session.place_order, category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="0.2"
        )
        await wait_for(lambda: bool(executions) and any(o["data"][0]["orderStatus"] == "Filled" for o in orders))
        (execution,) = executions[0]["data"]
        assert (execution["orderId"], execution["execPrice"], execution["execQty"], execution["category"]) == (
            placed["orderId"],
            "59990",
            "0.2",
            "linear",
        )
        filled = next(o["data"][0] for o in orders if o["data"][0]["orderStatus"] == "Filled")
        assert (filled["orderId"], filled["cumExecQty"], filled["side"]) == (placed["orderId"], "0.2", "Sell")
    finally:
        await asyncio.to_thread(ws.exit)
