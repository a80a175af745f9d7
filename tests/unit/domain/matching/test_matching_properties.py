"""Property tests: random submit / cancel / amend sequences, checked after every operation, on both builds.

The engine must agree with a slow reference model (matching_reference.py) on every outcome and fill,
and keep the book's invariants: never crossed, quantity conserved, L2 changes replaying to the snapshot,
``seq`` moving once per accepted operation, rejected operations changing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching import MatchingEngine, OrderStatus, Report
from tradewind.domain.values import OrderType, Side, TimeInForce

from .builds import BUILDS
from .matching_reference import Outcome, ReferenceBook

INSTRUMENT = default_instruments()[0]

T = TypeVar("T")


@dataclass(frozen=True)
class Submit:
    target: str  # "fresh" for a new id, "any" to reuse one (a duplicate)
    pick: int
    side: Side
    order_type: OrderType
    qty: int
    price: int | None
    tif: TimeInForce


@dataclass(frozen=True)
class Cancel:
    target: str  # "live", "any" (live or closed) or "unknown"
    pick: int


@dataclass(frozen=True)
class Amend:
    target: str
    pick: int
    price: int | None
    qty: int | None


Op = Submit | Cancel | Amend


def mostly(common: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``common`` nine times in ten: enough bad input to test rejects, enough good input to fill a book."""
    return st.integers(0, 9).flatmap(lambda roll: rare if roll == 0 else common)


sides = st.sampled_from([Side.BUY, Side.SELL])
prices: st.SearchStrategy[int | None] = mostly(st.integers(97, 103), st.sampled_from([None, 0, -5]))
sizes = mostly(st.integers(1, 12), st.sampled_from([0, -2]))
picks = st.integers(0, 10_000)  # which id to reuse / cancel / amend, modulo how many there are
targets = st.sampled_from(["live"] * 7 + ["any"] * 2 + ["unknown"])


@st.composite
def submits(draw: st.DrawFn) -> Submit:
    order_type = draw(st.sampled_from([OrderType.LIMIT] * 3 + [OrderType.MARKET]))
    market_price: st.SearchStrategy[int | None] = mostly(st.none(), st.integers(97, 103))
    price = draw(prices if order_type is OrderType.LIMIT else market_price)
    target = "any" if draw(st.integers(0, 19)) == 0 else "fresh"
    tif = draw(st.sampled_from([TimeInForce.GTC] * 3 + list(TimeInForce)))
    return Submit(target, draw(picks), draw(sides), order_type, draw(sizes), price, tif)


cancels = st.builds(Cancel, targets, picks)
amends = st.builds(Amend, targets, picks, st.one_of(st.none(), prices), st.one_of(st.none(), sizes))
operations = st.lists(st.one_of(submits(), submits(), submits(), cancels, amends), min_size=10, max_size=80)


@dataclass
class Ledger:
    """Lots per order: submitted (plus amend increases) must equal filled + resting + cancelled."""

    submitted: dict[str, int] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)

    def record(self, order_id: str, report: Report, outcome: Outcome, new_qty: int = 0) -> None:
        if report.status is OrderStatus.REJECTED:
            return
        self.submitted[order_id] = self.submitted.get(order_id, 0) + new_qty + outcome.added
        self.cancelled[order_id] = self.cancelled.get(order_id, 0) + outcome.cancelled
        self.filled[order_id] = report.filled
        for fill in report.fills:
            self.filled[fill.maker_order_id] = self.filled.get(fill.maker_order_id, 0) + fill.qty


class Harness:
    def __init__(self, engine_class: type[MatchingEngine]) -> None:
        self.engine = engine_class(INSTRUMENT)
        self.model = ReferenceBook()
        self.ids: list[str] = []
        self.ledger = Ledger()
        self.mirror: dict[Side, dict[int, int]] = {Side.BUY: {}, Side.SELL: {}}
        self.trade_id = 0
        self.ts = 0
        self.fresh = 0

    def pick(self, target: str, index: int) -> str:
        """A live order's id, any id accepted before (live or closed), a fresh one, or one never seen."""
        live = [o.order_id for o in self.model.resting]
        if target == "live" and live:
            return live[index % len(live)]
        if target in ("live", "any") and self.ids:
            return self.ids[index % len(self.ids)]
        if target == "fresh":
            self.fresh += 1
            return f"o{self.fresh}"
        return f"unknown-{index}"

    def apply(self, op: Op) -> None:
        engine, model = self.engine, self.model
        seq_before, snap_before = engine.seq, engine.snapshot()
        views_before = {oid: engine.order(oid) for oid in engine.open_order_ids()}
        self.ts += 1
        order_id = self.pick(op.target, op.pick)
        side = Side.BUY  # the taker side of any fills
        if isinstance(op, Submit):
            side = op.side
            report = engine.submit(order_id, op.side, op.order_type, op.qty, op.price, op.tif, ts=self.ts)
            outcome = model.submit(order_id, op.side, op.order_type, op.qty, op.price, op.tif)
            if report.status is not OrderStatus.REJECTED:
                self.ids.append(order_id)
            self.ledger.record(order_id, report, outcome, new_qty=op.qty)
            self.check_submit_rules(report, op)
        elif isinstance(op, Cancel):
            report = engine.cancel(order_id, ts=self.ts)
            outcome = model.cancel(order_id)
            self.ledger.record(order_id, report, outcome)
        else:
            before = model.live(order_id)
            report = engine.amend(order_id, price=op.price, qty=op.qty, ts=self.ts)
            outcome = model.amend(order_id, op.price, op.qty)
            self.ledger.record(order_id, report, outcome)
            if before is not None:
                side = before.side
                assert not (before.post_only and report.fills), "a post-only order took liquidity on amend"
        self.check_against_model(order_id, side, report, outcome)
        if report.status is OrderStatus.REJECTED:
            assert engine.seq == seq_before == report.seq
            assert engine.snapshot() == snap_before
            assert {oid: engine.order(oid) for oid in engine.open_order_ids()} == views_before
            assert not report.fills and not report.changes
        else:
            assert engine.seq == seq_before + 1 == report.seq
        self.check_book(report)

    @staticmethod
    def check_submit_rules(report: Report, op: Submit) -> None:
        if op.tif is TimeInForce.FOK and report.status is not OrderStatus.REJECTED:
            assert report.status is OrderStatus.FILLED and report.filled == op.qty, "FOK filled in part"
        if op.tif is TimeInForce.POST_ONLY:
            assert not report.fills, "a post-only order took liquidity"
        if op.order_type is OrderType.MARKET or op.tif in (TimeInForce.IOC, TimeInForce.FOK):
            assert report.leaves == 0, "an immediate order rests"

    def check_against_model(self, order_id: str, side: Side, report: Report, outcome: Outcome) -> None:
        assert report.order_id == order_id
        assert (report.status, report.reason, report.filled, report.leaves) == (
            outcome.status,
            outcome.reason,
            outcome.filled,
            outcome.leaves,
        )
        got = [(f.price, f.qty, f.maker_order_id, f.maker_leaves) for f in report.fills]
        want = [(f.price, f.qty, f.maker_order_id, f.maker_leaves) for f in outcome.fills]
        assert got == want, "fills break price-time priority"
        for fill in report.fills:
            self.trade_id += 1
            assert fill.trade_id == self.trade_id
            assert fill.taker_order_id == order_id and fill.taker_side is side and fill.ts == self.ts

    def check_book(self, report: Report) -> None:
        engine, model = self.engine, self.model
        touched = [(c.side, c.price) for c in report.changes]
        assert len(touched) == len(set(touched)), "one L2 change per touched level"
        for change in report.changes:
            if change.qty:
                self.mirror[change.side][change.price] = change.qty
            else:
                self.mirror[change.side].pop(change.price, None)
        snap = engine.snapshot()
        assert snap.seq == engine.seq
        assert snap.bids == model.levels(Side.BUY) and snap.asks == model.levels(Side.SELL)
        assert sorted(self.mirror[Side.BUY].items(), reverse=True) == snap.bids, "L2 changes do not replay"
        assert sorted(self.mirror[Side.SELL].items()) == snap.asks, "L2 changes do not replay"
        bid, ask = engine.best_bid(), engine.best_ask()
        assert bid == (snap.bids[0][0] if snap.bids else None) and ask == (snap.asks[0][0] if snap.asks else None)
        if bid is not None and ask is not None:
            assert bid < ask, "crossed book"
            assert engine.mid() == INSTRUMENT.tick_size * (bid + ask) / 2
        else:
            assert engine.mid() is None
        live = {o.order_id: o for o in model.resting}
        assert set(engine.open_order_ids()) == set(live)
        for oid, order in live.items():
            view = engine.order(oid)
            assert view is not None
            assert (view.side, view.price, view.leaves, view.filled) == (
                order.side,
                order.price,
                order.leaves,
                order.filled,
            )
        ledger = self.ledger
        for oid, submitted in ledger.submitted.items():
            resting = live[oid].leaves if oid in live else 0
            assert ledger.filled.get(oid, 0) + resting + ledger.cancelled[oid] == submitted, oid
        total_filled = sum(ledger.filled.values())
        total_resting = sum(o.leaves for o in model.resting)
        assert total_filled + total_resting + sum(ledger.cancelled.values()) == sum(ledger.submitted.values())
        assert sum(q for _, q in snap.bids + snap.asks) == total_resting


@pytest.mark.parametrize("engine_class", BUILDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_random_operation_sequences_match_the_reference_model_and_keep_invariants(
    engine_class: type[MatchingEngine], ops: list[Op]
) -> None:
    harness = Harness(engine_class)
    for op in ops:
        harness.apply(op)


@pytest.mark.parametrize("engine_class", BUILDS)
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(sides, st.integers(1, 5), st.integers(99, 101)), min_size=2, max_size=40))
def test_fills_of_a_sweep_follow_price_then_arrival_order(
    engine_class: type[MatchingEngine], orders: list[tuple[Side, int, int]]
) -> None:
    engine = engine_class(INSTRUMENT)
    for i, (side, qty, price) in enumerate(orders):
        engine.submit(f"m{i}", side, OrderType.LIMIT, qty, price, TimeInForce.POST_ONLY)
    for side in (Side.BUY, Side.SELL):
        report = engine.submit(f"sweep-{side.value}", side, OrderType.MARKET, 10_000)
        keys = [(f.price if side is Side.BUY else -f.price, int(f.maker_order_id[1:])) for f in report.fills]
        assert keys == sorted(keys)


@pytest.mark.parametrize("engine_class", BUILDS)
def test_mid_is_a_decimal_in_price_units(engine_class: type[MatchingEngine]) -> None:
    engine = engine_class(INSTRUMENT)
    engine.submit("b", Side.BUY, OrderType.LIMIT, 1, 1000)
    engine.submit("a", Side.SELL, OrderType.LIMIT, 1, 1003)
    assert engine.mid() == Decimal("100.15")
