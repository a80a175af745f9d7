"""Bybit's ``/v5/order/history`` answers at most 7 days, by ``orderLinkId`` too, and ``/v5/order/realtime`` shows only
the last 500 closed orders: a gateway started afresh (a restart) finds an order placed 10 days ago by its client id
when told since when, window by window from there and no further than the window that has it, over loopback on the
sim's Bybit face (Bybit V5 rows and ccxt's unified API)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.support.bybit_server import Served, serve
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.application.venue import OrderRequest
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import loaded_wire_gateway, recorded_calls

pytestmark = pytest.mark.integration
D = Decimal
DAY_NS = 86_400 * 1_000_000_000
LINEAR = Category.LINEAR
LATER_CLOSED = 501  # one more closed order than /v5/order/realtime still shows


@pytest.fixture
async def old_order() -> AsyncIterator[tuple[Served, int]]:
    """trader-1's market buy ``old-buy`` placed 10 days ago, then ``LATER_CLOSED`` closed orders a day ago; the
    venue's clock at the wall's now. Yields the server and the old order's time (ns)."""
    clock = SimClock(time.time_ns() - 10 * DAY_NS)
    served = await serve(clock)
    placed_ns = clock.now_ns()
    buy = OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.001"), order_link_id="old-buy")
    served.venue.place_order("trader-1", buy)
    await clock.advance(9 * 86_400)
    for n in range(LATER_CLOSED):  # in and out again: the book keeps its depth
        side = Side.SELL if n % 2 == 0 else Side.BUY
        served.venue.place_order("trader-1", OrderRequest(LINEAR, "BTCUSDT", side, OrderType.MARKET, D("0.001")))
    await clock.advance_to(time.time_ns())
    yield served, placed_ns
    await served.runner.cleanup()


def _history_calls(gateway: CcxtGateway) -> list[dict[str, Any]]:
    """The params of each ``/v5/order/history`` call the gateway makes from now on."""
    return recorded_calls(gateway, "private_get_v5_order_history", "privateGetV5OrderHistory")


@pytest.mark.parametrize("kind", ["bybit-v5", "unified"])
async def test_an_order_placed_10_days_ago_is_found_by_client_id_from_its_time(
    kind: str, old_order: tuple[Served, int]
) -> None:
    served, placed_ns = old_order
    async with loaded_wire_gateway(kind, served.url) as gateway:
        calls = _history_calls(gateway)
        unbounded = await gateway.fetch_order(LINEAR, "BTCUSDT", "old-buy")  # Bybit's last 7 days only
        del calls[:]
        found = await gateway.fetch_order(LINEAR, "BTCUSDT", "old-buy", since_ns=placed_ns)
    assert unbounded is None
    assert found is not None and found.client_order_id == "old-buy"
    assert (found.state, found.filled_qty) == (OrderState.FILLED, D("0.001"))
    # Only the window of its own time was read (the later ones hold the 501 newer orders, pages of them).
    assert len(calls) == 1 and int(calls[0]["startTime"]) <= placed_ns // 1_000_000, calls
    assert int(calls[0]["endTime"]) - int(calls[0]["startTime"]) < 7 * DAY_NS // 1_000_000


async def test_a_client_id_never_sent_reads_each_window_once_and_is_none(old_order: tuple[Served, int]) -> None:
    served, placed_ns = old_order
    async with loaded_wire_gateway("bybit-v5", served.url) as gateway:
        calls = _history_calls(gateway)
        missing = await gateway.fetch_order(LINEAR, "BTCUSDT", "never-sent", since_ns=placed_ns)
    assert missing is None
    windows = [(int(c["startTime"]), c.get("endTime")) for c in calls]
    assert len(windows) == 2 and windows[-1][1] is None, windows  # 10 days: one closed window, the last ended by Bybit
    assert int(windows[0][1] or 0) + 1 == windows[1][0]  # consecutive: nothing between them unread
