"""``fills_since`` over one read equals each gateway's own ``fetch_fills(since_ns=...)``, at the millisecond grain the
venues filter ``since`` at: a property on the in-process SimGateway (fills at random nanoseconds of a simulated clock,
random ``since``), and every boundary nanosecond around each fill on the gateways over loopback (Bybit V5, ccxt's
unified API on the Bybit face and on the Binance face)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.bybit_server import Served, seeded_venue
from tradewind.adapters.clock import SimClock
from tradewind.adapters.exchanges.sim import SimGateway
from tradewind.application.ports.exchange import ExchangeGateway, fills_since
from tradewind.application.venue import OrderRequest
from tradewind.domain.orders import ExecutionFill, OrderIntent
from tradewind.domain.values import Category, OrderType, Side

from .gateway_support import loaded_wire_gateway

D = Decimal
MS = 1_000_000
LINEAR, SPOT = Category.LINEAR, Category.SPOT

# Fill times and ``since`` values within a few milliseconds, so many fall in one millisecond and at its edges.
_offsets = st.integers(min_value=0, max_value=6 * MS)


async def _agree(gateway: ExchangeGateway, category: Category, sinces: list[int]) -> list[ExecutionFill]:
    """Assert the one read since the earliest ``since``, filtered, is each ``since``'s own read; that read."""
    read = await gateway.fetch_fills(category, "BTCUSDT", since_ns=min(sinces))
    for since in sinces:
        own = await gateway.fetch_fills(category, "BTCUSDT", since_ns=since)
        assert fills_since(read, since) == own, since
    return read


async def _sim_case(fill_offsets: list[int], since_offsets: list[int]) -> None:
    clock = SimClock()
    start = clock.now_ns()
    venue = seeded_venue(clock)
    for offset in sorted(fill_offsets):
        await clock.advance_to(start + offset)
        venue.place_order("trader-1", OrderRequest(LINEAR, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.001")))
    read = await _agree(SimGateway(venue, "trader-1"), LINEAR, [start + o for o in since_offsets])
    assert len(read) == len([o for o in fill_offsets if o // MS >= min(since_offsets) // MS])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_offsets, min_size=1, max_size=12), st.lists(_offsets, min_size=1, max_size=8))
def test_the_sim_gateways_own_reads_are_the_shared_read_filtered_at_its_millisecond_grain(
    fill_offsets: list[int], since_offsets: list[int]
) -> None:
    asyncio.run(_sim_case(fill_offsets, since_offsets))


@pytest.mark.parametrize("kind", ["bybit-v5", "unified", "binance"])
async def test_over_loopback_each_boundary_nanosecond_reads_as_the_shared_read_filtered(
    kind: str, sim_server: Served
) -> None:
    category = SPOT if kind == "binance" else LINEAR
    async with loaded_wire_gateway(kind, sim_server.url) as gateway:
        for n in range(4):  # market orders a few milliseconds apart: fills in distinct milliseconds
            intent = OrderIntent(f"fs-{n}", "x", category, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.001"))
            await gateway.place_order(intent)
            await asyncio.sleep(0.003)
        every = await gateway.fetch_fills(category, "BTCUSDT")
        assert len({f.ts_ns // MS for f in every}) >= 2  # more than one millisecond to tell apart
        # Around each fill: the nanosecond before its millisecond, its first and last nanosecond, the next one's first.
        edges = sorted({f.ts_ns // MS * MS + d for f in every for d in (-1, 0, 1, MS - 1, MS)})
        read = await _agree(gateway, category, edges)
        assert read == every  # the earliest edge is before every fill
