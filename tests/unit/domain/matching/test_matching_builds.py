"""The compiled and the pure-Python builds of the matching core give identical reports (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching import MatchingEngine, Report

from .builds import PureMatchingEngine
from .test_matching_properties import Amend, Cancel, Op, Submit, operations

INSTRUMENT = default_instruments()[0]


def report_fields(report: Report) -> tuple[Any, ...]:
    """A report as plain values, so reports of the two builds (different classes) compare by content."""
    fills = [f.fields() for f in report.fills]
    changes = [c.fields() for c in report.changes]
    return (*report.fields()[:5], fills, changes, report.seq)


def book_state(engine: MatchingEngine) -> tuple[Any, ...]:
    snap = engine.snapshot()
    views = {}
    for oid in engine.open_order_ids():
        view = engine.order(oid)
        assert view is not None
        views[oid] = (view.side, view.price, view.leaves, view.filled)
    return (snap.seq, snap.bids, snap.asks, engine.best_bid(), engine.best_ask(), engine.mid(), views)


def apply(engine: MatchingEngine, op: Op, order_id: str, ts: int) -> Report:
    if isinstance(op, Submit):
        return engine.submit(order_id, op.side, op.order_type, op.qty, op.price, op.tif, ts=ts)
    if isinstance(op, Cancel):
        return engine.cancel(order_id, ts=ts)
    return engine.amend(order_id, price=op.price, qty=op.qty, ts=ts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_compiled_and_pure_engines_give_identical_reports_on_the_same_operations(ops: list[Op]) -> None:
    installed, pure = MatchingEngine(INSTRUMENT, id_memory=8), PureMatchingEngine(INSTRUMENT, id_memory=8)
    used: list[str] = []
    for ts, op in enumerate(ops, start=1):
        live = sorted(installed.open_order_ids())
        if isinstance(op, Submit) and op.target == "fresh":
            order_id = f"o{ts}"
        elif op.target == "live" and live:
            order_id = live[op.pick % len(live)]
        elif op.target in ("live", "any") and used:
            order_id = used[op.pick % len(used)]
        else:
            order_id = f"unknown-{op.pick}"
        used.append(order_id)
        mine, theirs = apply(installed, op, order_id, ts), apply(pure, op, order_id, ts)
        assert report_fields(mine) == report_fields(theirs), op
        assert book_state(installed) == book_state(pure), op
        if isinstance(op, Amend):
            assert installed.seq == pure.seq
