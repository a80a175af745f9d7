"""Bybit's history lists answer a time range (Bybit's docs, each endpoint's ``startTime``): ``/v5/execution/list`` and
``/v5/order/history`` the last 7 days without ``startTime`` and ``endTime``, the 7 from a lone ``startTime`` or before a
lone ``endTime``; ``/v5/account/transaction-log`` so for 24 hours; each refuses both further apart than 7 days, or
reversed, with 10001. ``orderLinkId`` on the order history narrows the range, it does not lift it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, signed
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import OrderRequest, Transaction, TransactionType
from tradewind.domain.values import Category, OrderType, Side

pytestmark = pytest.mark.integration
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


@dataclass(frozen=True, slots=True)
class Listing:
    path: str
    time_field: str  # the row's time the range selects by
    lone_ms: int  # the span answered from a lone startTime, before a lone endTime, or up to now without either
    params: dict[str, str]


LISTINGS = [
    Listing("/v5/execution/list", "execTime", WEEK_MS, {"category": "linear", "symbol": "BTCUSDT"}),
    Listing("/v5/order/history", "createdTime", WEEK_MS, {"category": "linear", "symbol": "BTCUSDT"}),
    Listing("/v5/account/transaction-log", "transactionTime", DAY_MS, {"category": "linear", "type": "SETTLEMENT"}),
]


def _settlement(ts_ms: int) -> Transaction:
    """A funding row of trader-1's BTCUSDT long, booked at ``ts_ms``."""
    d = Decimal
    return Transaction(
        f"settle-{ts_ms}", "trader-1", TransactionType.SETTLEMENT, Category.LINEAR, "BTCUSDT", Side.BUY, d("0.001"),
        d(60_000), d("-0.006"), d("0.0001"), d(0), d("-0.006"), d(100_000), "USDT", ts_ms,
    )  # fmt: skip


async def _rows_at(served: Served, *days: int) -> list[int]:
    """At each day after the clock's start (the last one is now): trader-1 buys (an order and its execution) and is
    booked a funding row; the times, in ms."""
    clock = served.venue.clock
    assert isinstance(clock, SimClock)
    account = served.venue.account("trader-1")
    assert account is not None
    t = clock.now_ms()
    for day in days:
        await clock.advance_to((t + day * DAY_MS) * 1_000_000)
        order = OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.001"))
        served.venue.place_order("trader-1", order)
        account.transactions.append(_settlement(clock.now_ms()))
    return [t + day * DAY_MS for day in days]


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.path)
async def test_each_history_list_answers_bybits_range_and_refuses_a_wider_one(
    listing: Listing, frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    first, second, last = await _rows_at(frozen_server, 0, 2, 10)  # last: now

    async def listed(**times: int) -> dict[str, Any]:
        params = {**listing.params, **{k: str(v) for k, v in times.items()}}
        return (await signed(http, frozen_server, "GET", listing.path, params))[1]

    async def times(**bounds: int) -> list[int]:
        body = await listed(**bounds)
        assert body["retCode"] == 0, body
        return sorted(int(row[listing.time_field]) for row in body["result"]["list"])

    week = listing.lone_ms == WEEK_MS
    assert await times() == [last]  # the last 7 days (24 hours)
    assert await times(startTime=first) == ([first, second] if week else [first])
    assert await times(endTime=second) == ([first, second] if week else [second])
    assert await times(startTime=first, endTime=first + WEEK_MS) == [first, second]  # 7 days either way
    assert await times(startTime=last - WEEK_MS, endTime=last) == [last]
    wide = await listed(startTime=first, endTime=first + WEEK_MS + 1)
    assert wide["retCode"] == 10001 and "at most 7 days" in wide["retMsg"], wide
    backwards = await listed(startTime=second, endTime=first)
    assert backwards["retCode"] == 10001 and "before startTime" in backwards["retMsg"], backwards


async def test_the_order_history_by_link_id_answers_only_within_its_range(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    clock = frozen_server.venue.clock
    assert isinstance(clock, SimClock)
    created = clock.now_ms()
    order = OrderRequest(
        Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.001"), order_link_id="old-one"
    )
    frozen_server.venue.place_order("trader-1", order)
    await clock.advance(10 * 86_400)
    query = {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "old-one"}

    async def found(**times: int) -> list[str]:
        params = {**query, **{k: str(v) for k, v in times.items()}}
        body = (await signed(http, frozen_server, "GET", "/v5/order/history", params))[1]
        assert body["retCode"] == 0, body
        return [row["orderLinkId"] for row in body["result"]["list"]]

    assert await found() == []  # 10 days old: not in the last 7 days, though named
    assert await found(startTime=created) == ["old-one"]
    assert await found(startTime=created + 1) == []
