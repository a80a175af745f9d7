"""Property: through any order flow, a snapshot plus the diff events after it rebuilds the later REST snapshot.

Venue orders, the swarm's direct engine operations, trades and cancels run in random order; REST snapshots
are taken at random moments while the 5 ms pump publishes on its own schedule. Every snapshot, followed by
the events with ``u`` > its ``lastUpdateId`` (Binance's recipe), must give exactly the final REST book, and
the events must chain (``U`` = previous ``u`` + 1).
"""

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.adapters.clock import SimClock
from tradewind.application.venue import MarketUnit, OrderRef, OrderRequest, SimVenue, VenueError
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

from .binance_support import LocalDepth, public, rest_levels, serve_binance, stream_client

D = Decimal


@dataclass(frozen=True)
class Op:
    kind: str  # "limit" (venue), "swarm" (the engine directly), "market", "cancel", "snapshot", "pause"
    side: Side = Side.BUY
    level: int = 0  # price = 60 000 + 5 x level: inside, at and outside the seeded quotes
    lots: int = 1  # x 0.1 BTC
    pick: int = 0


_sides = st.sampled_from([Side.BUY, Side.SELL])
_ops = st.one_of(
    st.builds(Op, st.just("limit"), _sides, st.integers(-8, 8), st.integers(1, 12)),
    st.builds(Op, st.just("swarm"), _sides, st.integers(-8, 8), st.integers(1, 12)),
    st.builds(Op, st.just("market"), _sides, st.just(0), st.integers(1, 12)),
    st.builds(Op, st.just("cancel"), pick=st.integers(0, 50)),
    st.builds(Op, st.just("snapshot")),
    st.builds(Op, st.just("pause")),
)


class Flow:
    """Applies ops to the venue the way clients and the trader swarm change it."""

    def __init__(self, venue: SimVenue) -> None:
        self.venue = venue
        self.engine = venue.engine(Category.SPOT, "BTCUSDT")
        self.swarm_ids: list[str] = []

    def apply(self, op: Op) -> None:
        inst = self.engine.instrument
        qty, price = D("0.1") * op.lots, D(60_000) + 5 * op.level
        if op.kind == "limit":
            self._venue(OrderRequest(Category.SPOT, "BTCUSDT", op.side, OrderType.LIMIT, qty, price), "maker")
        elif op.kind == "market":
            request = OrderRequest(
                Category.SPOT, "BTCUSDT", op.side, OrderType.MARKET, qty, market_unit=MarketUnit.BASE
            )
            self._venue(request, "trader-1")
        elif op.kind == "swarm":
            order_id = f"swarm-{len(self.swarm_ids)}"
            self.swarm_ids.append(order_id)
            ticks, lots = inst.price_to_ticks(price), inst.qty_to_lots(qty)
            report = self.engine.submit(order_id, op.side, OrderType.LIMIT, lots, ticks, TimeInForce.GTC, 0)
            self.venue.on_engine_report(inst, report)
        elif op.kind == "cancel":
            self._cancel(op.pick)

    def _venue(self, request: OrderRequest, key: str) -> None:
        with contextlib.suppress(VenueError):  # e.g. the trader ran out of funds: a refusal changes nothing
            self.venue.place_order(key, request)

    def _cancel(self, pick: int) -> None:
        maker = self.venue.account("maker")
        assert maker is not None
        mine = [o.order_id for o in maker.open_orders.values() if o.category is Category.SPOT and o.symbol == "BTCUSDT"]
        live = [i for i in self.swarm_ids if self.engine.order(i) is not None]
        choices = [("venue", i) for i in mine] + [("swarm", i) for i in live]
        if not choices:
            return
        who, order_id = choices[pick % len(choices)]
        if who == "venue":
            self.venue.cancel_order("maker", OrderRef(Category.SPOT, "BTCUSDT", order_id=order_id))
        else:
            self.venue.on_engine_report(self.engine.instrument, self.engine.cancel(order_id))


async def _run(ops: list[Op]) -> None:
    served = await serve_binance(SimClock())
    depth = {"symbol": "BTCUSDT", "limit": 5000}
    flow = Flow(served.venue)
    try:
        async with aiohttp.ClientSession() as http, stream_client(http, served) as client:
            await client.reply_to(await client.request("SUBSCRIBE", ["btcusdt@depth@100ms"]))
            snapshots: list[dict[str, Any]] = [(await public(http, served, "/api/v3/depth", depth))[1]]
            for op in ops:
                if op.kind == "snapshot":
                    snapshots.append((await public(http, served, "/api/v3/depth", depth))[1])
                elif op.kind == "pause":
                    await asyncio.sleep(0.006)  # lets the pump publish mid-flow; where it does is not asserted
                else:
                    flow.apply(op)
            final = (await public(http, served, "/api/v3/depth", depth))[1]
            events = await client.barrier()
    finally:
        await served.runner.cleanup()
    assert final["lastUpdateId"] == flow.engine.seq
    for before, after in itertools.pairwise(events):
        assert after["U"] == before["u"] + 1
    for snapshot in snapshots:
        book = LocalDepth(snapshot)
        for event in events:
            book.apply(event)
        assert book.nonce <= final["lastUpdateId"]
        assert book.levels() == rest_levels(final), snapshot["lastUpdateId"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ops, min_size=1, max_size=30))
def test_snapshot_plus_later_events_equals_the_rest_book(ops: list[Op]) -> None:
    asyncio.run(_run(ops))
