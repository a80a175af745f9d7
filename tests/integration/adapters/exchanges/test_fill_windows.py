"""Bybit's ``/v5/execution/list`` answers at most 7 days: the gateways (Bybit V5 rows, ccxt's unified API on the Bybit
face) read the fills since an older ``since`` window by window up to now, over loopback on a venue whose fills were made
days ago (its clock started in the past, then moved to now before the gateway asks)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.bybit_server import Served, serve
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.ccxt.capabilities import WEEK_MS
from tradewind.application.venue import OrderRequest
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import loaded_wire_gateway, recorded_calls

pytestmark = pytest.mark.integration
D = Decimal
DAY_NS = 86_400 * 1_000_000_000
LINEAR = Category.LINEAR
KINDS = ["bybit-v5", "unified"]


@pytest.fixture
async def past() -> AsyncIterator[tuple[Served, SimClock]]:
    """The sim-exchange on a clock started 20 days ago: the test moves it to now before a gateway asks anything."""
    clock = SimClock(time.time_ns() - 20 * DAY_NS)
    served = await serve(clock)
    yield served, clock
    await served.runner.cleanup()


def _trade(served: Served, side: Side, qty: str = "0.001", key: str = "trader-1") -> None:
    served.venue.place_order(key, OrderRequest(LINEAR, "BTCUSDT", side, OrderType.MARKET, D(qty)))


def _exec_ids(served: Served) -> list[str]:
    account = served.venue.account("trader-1")
    assert account is not None
    return [e.exec_id for e in account.executions if e.category is LINEAR]


@pytest.mark.parametrize("kind", KINDS)
async def test_fills_over_20_days_come_back_whole_once_each_window_paged(
    kind: str, past: tuple[Served, SimClock]
) -> None:
    served, clock = past
    start_ns = clock.now_ns()
    for day in range(20):
        await clock.advance_to(start_ns + day * DAY_NS + 1_000_000_000)
        for n in range(150 if day == 3 else 2):  # day 3: more fills than one page (100) in one window
            _trade(served, Side.BUY if n % 2 == 0 else Side.SELL)
    await clock.advance_to(time.time_ns())
    made = _exec_ids(served)
    assert len(made) == 19 * 2 + 150
    async with loaded_wire_gateway(kind, served.url) as gateway:
        calls = recorded_calls(gateway, "private_get_v5_execution_list") if kind == "bybit-v5" else []
        fills = await gateway.fetch_fills(LINEAR, "BTCUSDT", since_ns=start_ns)
        recent = await gateway.fetch_fills(LINEAR, "BTCUSDT")  # no since: Bybit's last 7 days
    ids = [f.trade_id for f in fills]
    assert len(ids) == len(set(ids)) and set(ids) == set(made)  # nothing lost, nothing twice
    assert [f.ts_ns for f in fills] == sorted(f.ts_ns for f in fills)
    week_ago_ms = time.time_ns() // 1_000_000 - WEEK_MS
    assert recent and all(f.ts_ns // 1_000_000 >= week_ago_ms - 60_000 for f in recent)
    assert len(recent) < len(fills)
    if kind == "bybit-v5":
        windows = {(c["startTime"], c.get("endTime")) for c in calls if "startTime" in c}
        assert len(windows) == 3 and sum(1 for w in windows if w[1] is None) == 1  # the last one ends on Bybit's clock
        assert all(end - begin < WEEK_MS for begin, end in windows if end is not None)
        assert any(c.get("cursor") for c in calls)  # day 3's window read on a second page


@pytest.mark.parametrize("kind", KINDS)
async def test_a_stop_fired_9_days_after_a_position_opened_10_days_ago_is_in_its_fills(
    kind: str, past: tuple[Served, SimClock]
) -> None:
    served, clock = past
    await clock.advance(10 * 86_400)  # 10 days ago
    opened_ns = clock.now_ns()
    _trade(served, Side.BUY, "0.01")
    served.venue.set_trading_stop("trader-1", "BTCUSDT", stop_loss=D("59980"))
    await clock.advance(9 * 86_400)
    _trade(served, Side.SELL, "3", key="trader-2")  # through the bids down to 59970: the stop-loss fires
    await clock.advance_to(time.time_ns())
    async with loaded_wire_gateway(kind, served.url) as gateway:
        fills = await gateway.fetch_fills(LINEAR, "BTCUSDT", since_ns=opened_ns)
    closing = [f for f in fills if f.side is Side.SELL]
    assert [f.qty for f in fills if f.side is Side.BUY] == [D("0.01")]
    assert sum((f.qty for f in closing), D(0)) == D("0.01")
    fired_ms = (opened_ns + 9 * DAY_NS) // 1_000_000
    assert closing and all(f.ts_ns // 1_000_000 == fired_ms for f in closing), [f.ts_ns for f in closing]
