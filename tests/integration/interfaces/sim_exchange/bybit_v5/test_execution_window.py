"""``/v5/execution/list`` answers Bybit's 7 days: the last 7 without ``startTime`` and ``endTime``, the 7 from a lone
``startTime`` or before a lone ``endTime``; both further apart than 7 days are refused with 10001."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, signed
from tradewind.adapters.clock import SimClock
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side

pytestmark = pytest.mark.integration
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


async def _listed(http: aiohttp.ClientSession, served: Served, **times: int) -> dict[str, Any]:
    params = {"category": "linear", "symbol": "BTCUSDT", **{k: str(v) for k, v in times.items()}}
    return (await signed(http, served, "GET", "/v5/execution/list", params))[1]


def _times(body: dict[str, Any]) -> list[int]:
    assert body["retCode"] == 0, body
    return sorted(int(row["execTime"]) for row in body["result"]["list"])


async def test_the_execution_list_answers_seven_days_and_refuses_a_wider_range(
    frozen_server: Served, http: aiohttp.ClientSession
) -> None:
    clock = frozen_server.venue.clock
    assert isinstance(clock, SimClock)
    t = clock.now_ms()
    for day in (0, 2, 10):  # trader-1 buys at t, t + 2 days and t + 10 days (now)
        await clock.advance_to((t + day * DAY_MS) * 1_000_000)
        order = OrderRequest(Category.LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.001"))
        frozen_server.venue.place_order("trader-1", order)
    first, second, last = t, t + 2 * DAY_MS, t + 10 * DAY_MS
    assert _times(await _listed(http, frozen_server)) == [last]  # the last 7 days
    assert _times(await _listed(http, frozen_server, startTime=t)) == [first, second]  # t .. t + 7 days
    assert _times(await _listed(http, frozen_server, endTime=second)) == [first, second]
    assert _times(await _listed(http, frozen_server, startTime=t, endTime=t + WEEK_MS)) == [first, second]
    assert _times(await _listed(http, frozen_server, startTime=last - WEEK_MS, endTime=last)) == [last]
    wide = await _listed(http, frozen_server, startTime=t, endTime=t + WEEK_MS + 1)
    assert wide["retCode"] == 10001 and "at most 7 days" in wide["retMsg"], wide
    backwards = await _listed(http, frozen_server, startTime=second, endTime=first)
    assert backwards["retCode"] == 10001 and "before startTime" in backwards["retMsg"], backwards
