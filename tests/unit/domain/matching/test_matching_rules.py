"""Example tests, one rule each: priority, order types, time in force, cancel, amend, rejects, queries."""

from __future__ import annotations

import pytest

from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching import (
    L2Snapshot,
    LevelChange,
    MatchingEngine,
    OrderStatus,
    RejectReason,
    Report,
    RestingOrderView,
)
from tradewind.domain.values import OrderType, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine(default_instruments()[0])


def limit(  # noqa: PLR0917
    engine: MatchingEngine, oid: str, side: Side, qty: int, price: int, tif: TimeInForce = TimeInForce.GTC
) -> Report:
    return engine.submit(oid, side, LIMIT, qty, price, tif)


def makers(report: Report) -> list[tuple[str, int, int]]:
    return [(f.maker_order_id, f.price, f.qty) for f in report.fills]


# --- resting and priority -------------------------------------------------------------------------


def test_limit_order_that_does_not_cross_rests_and_reports_its_level(engine: MatchingEngine) -> None:
    report = limit(engine, "b1", BUY, 5, 100)
    assert (report.status, report.filled, report.leaves, report.seq) == (OrderStatus.NEW, 0, 5, 1)
    assert list(report.changes) == [LevelChange(BUY, 100, 5)]
    limit(engine, "b2", BUY, 3, 100)
    assert engine.snapshot() == L2Snapshot(2, [(100, 8)], [])
    assert engine.order("b1") == RestingOrderView("b1", BUY, 100, 5, 0)


def test_better_price_is_filled_before_earlier_order(engine: MatchingEngine) -> None:
    limit(engine, "s101", SELL, 5, 101)
    limit(engine, "s100", SELL, 5, 100)
    report = engine.submit("t", BUY, MARKET, 7)
    assert makers(report) == [("s100", 100, 5), ("s101", 101, 2)]


def test_same_price_fills_in_arrival_order(engine: MatchingEngine) -> None:
    for oid in ("first", "second", "third"):
        limit(engine, oid, SELL, 2, 100)
    report = limit(engine, "t", BUY, 5, 100)
    assert makers(report) == [("first", 100, 2), ("second", 100, 2), ("third", 100, 1)]
    assert report.fills[-1].maker_leaves == 1
    assert engine.order("third") == RestingOrderView("third", SELL, 100, 1, 1)


def test_trade_happens_at_the_makers_price_with_increasing_trade_ids(engine: MatchingEngine) -> None:
    limit(engine, "s1", SELL, 1, 100)
    limit(engine, "s2", SELL, 1, 102)
    first = limit(engine, "t1", BUY, 1, 105)
    second = limit(engine, "t2", BUY, 1, 105)
    assert [(f.trade_id, f.price, f.taker_side) for f in (*first.fills, *second.fills)] == [
        (1, 100, BUY),
        (2, 102, BUY),
    ]


def test_gtc_taker_rests_its_remainder_as_partially_filled(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 3, 100)
    report = limit(engine, "b", BUY, 10, 101)
    assert (report.status, report.filled, report.leaves) == (OrderStatus.PARTIALLY_FILLED, 3, 7)
    assert list(report.changes) == [LevelChange(SELL, 100, 0), LevelChange(BUY, 101, 7)]
    assert engine.best_bid() == 101 and engine.best_ask() is None


# --- market, IOC, FOK, post-only ------------------------------------------------------------------


def test_market_order_sweeps_levels_and_cancels_what_is_left(engine: MatchingEngine) -> None:
    limit(engine, "b1", BUY, 2, 100)
    limit(engine, "b2", BUY, 2, 99)
    report = engine.submit("m", SELL, MARKET, 10)
    assert makers(report) == [("b1", 100, 2), ("b2", 99, 2)]
    assert (report.status, report.filled, report.leaves) == (OrderStatus.CANCELLED, 4, 0)
    assert engine.snapshot().bids == []


def test_market_order_filled_exactly_is_filled(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 4, 100)
    report = engine.submit("m", BUY, MARKET, 4)
    assert (report.status, report.filled) == (OrderStatus.FILLED, 4)


def test_market_order_on_an_empty_side_is_rejected_for_no_liquidity(engine: MatchingEngine) -> None:
    limit(engine, "b", BUY, 4, 100)
    report = engine.submit("m", BUY, MARKET, 4)
    assert (report.status, report.reason) == (OrderStatus.REJECTED, RejectReason.NO_LIQUIDITY)


def test_ioc_takes_what_crosses_and_never_rests(engine: MatchingEngine) -> None:
    limit(engine, "s1", SELL, 2, 100)
    limit(engine, "s2", SELL, 2, 102)
    report = limit(engine, "ioc", BUY, 5, 101, TimeInForce.IOC)
    assert makers(report) == [("s1", 100, 2)]
    assert (report.status, report.filled, report.leaves) == (OrderStatus.CANCELLED, 2, 0)
    assert engine.order("ioc") is None and engine.best_bid() is None
    missed = limit(engine, "ioc2", BUY, 5, 101, TimeInForce.IOC)
    assert missed.reason is RejectReason.NO_LIQUIDITY


def test_fok_that_cannot_fill_completely_is_rejected_untouched(engine: MatchingEngine) -> None:
    limit(engine, "s1", SELL, 2, 100)
    limit(engine, "s2", SELL, 2, 102)
    before = engine.snapshot()
    report = limit(engine, "fok", BUY, 3, 101, TimeInForce.FOK)
    assert (report.status, report.reason) == (OrderStatus.REJECTED, RejectReason.FOK_NOT_FILLABLE)
    assert engine.snapshot() == before


def test_fok_that_can_fill_completely_fills_across_levels(engine: MatchingEngine) -> None:
    limit(engine, "s1", SELL, 2, 100)
    limit(engine, "s2", SELL, 2, 102)
    report = limit(engine, "fok", BUY, 3, 102, TimeInForce.FOK)
    assert (report.status, report.filled) == (OrderStatus.FILLED, 3)
    assert makers(report) == [("s1", 100, 2), ("s2", 102, 1)]


def test_post_only_that_would_take_is_rejected_and_otherwise_rests(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 2, 100)
    taking = limit(engine, "p1", BUY, 1, 100, TimeInForce.POST_ONLY)
    assert (taking.status, taking.reason) == (OrderStatus.REJECTED, RejectReason.POST_ONLY_WOULD_TAKE)
    resting = limit(engine, "p2", BUY, 1, 99, TimeInForce.POST_ONLY)
    assert resting.status is OrderStatus.NEW and engine.best_bid() == 99


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_removes_the_order_and_reports_the_level(engine: MatchingEngine) -> None:
    limit(engine, "b1", BUY, 5, 100)
    limit(engine, "b2", BUY, 3, 100)
    report = engine.cancel("b1")
    assert (report.status, report.leaves, report.seq) == (OrderStatus.CANCELLED, 0, 3)
    assert list(report.changes) == [LevelChange(BUY, 100, 3)]
    assert engine.order("b1") is None
    last = engine.cancel("b2")
    assert list(last.changes) == [LevelChange(BUY, 100, 0)] and engine.best_bid() is None


def test_cancelled_order_no_longer_trades(engine: MatchingEngine) -> None:
    limit(engine, "s1", SELL, 5, 100)
    limit(engine, "s2", SELL, 5, 100)
    engine.cancel("s1")
    assert makers(engine.submit("m", BUY, MARKET, 3)) == [("s2", 100, 3)]


def test_cancel_of_partly_filled_order_reports_what_it_filled(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 5, 100)
    engine.submit("m", BUY, MARKET, 2)
    report = engine.cancel("s")
    assert (report.status, report.filled) == (OrderStatus.CANCELLED, 2)


def test_cancel_of_unknown_or_closed_order_is_rejected_with_the_right_reason(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 1, 100)
    engine.submit("m", BUY, MARKET, 1)
    assert engine.cancel("nope").reason is RejectReason.UNKNOWN_ORDER
    assert engine.cancel("s").reason is RejectReason.ORDER_CLOSED
    assert engine.cancel("m").reason is RejectReason.ORDER_CLOSED
    assert engine.seq == 2


# --- amend ----------------------------------------------------------------------------------------


def test_amend_size_down_keeps_time_priority(engine: MatchingEngine) -> None:
    limit(engine, "first", SELL, 5, 100)
    limit(engine, "second", SELL, 5, 100)
    report = engine.amend("first", qty=2)
    assert (report.status, report.leaves) == (OrderStatus.NEW, 2)
    assert list(report.changes) == [LevelChange(SELL, 100, 7)]
    assert makers(engine.submit("m", BUY, MARKET, 3)) == [("first", 100, 2), ("second", 100, 1)]


def test_amend_size_up_loses_time_priority(engine: MatchingEngine) -> None:
    limit(engine, "first", SELL, 5, 100)
    limit(engine, "second", SELL, 5, 100)
    report = engine.amend("first", qty=6)
    assert list(report.changes) == [LevelChange(SELL, 100, 11)]
    assert makers(engine.submit("m", BUY, MARKET, 6)) == [("second", 100, 5), ("first", 100, 1)]


def test_amend_price_moves_the_order_to_the_back_of_the_new_level(engine: MatchingEngine) -> None:
    limit(engine, "a", SELL, 5, 101)
    limit(engine, "b", SELL, 5, 100)
    report = engine.amend("b", price=101)
    assert list(report.changes) == [LevelChange(SELL, 100, 0), LevelChange(SELL, 101, 10)]
    assert makers(engine.submit("m", BUY, MARKET, 6)) == [("a", 101, 5), ("b", 101, 1)]


def test_amend_to_a_crossing_price_matches_as_taker(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 3, 101)
    limit(engine, "b", BUY, 5, 99)
    report = engine.amend("b", price=101)
    assert makers(report) == [("s", 101, 3)]
    assert (report.status, report.filled, report.leaves) == (OrderStatus.PARTIALLY_FILLED, 3, 2)
    assert list(report.changes) == [LevelChange(BUY, 99, 0), LevelChange(SELL, 101, 0), LevelChange(BUY, 101, 2)]


def test_amend_keeps_cumulative_filled_and_fills_completely(engine: MatchingEngine) -> None:
    limit(engine, "b", BUY, 5, 99)
    engine.submit("m", SELL, MARKET, 2)
    limit(engine, "s", SELL, 3, 101)
    report = engine.amend("b", price=101)
    assert (report.status, report.filled, report.leaves) == (OrderStatus.FILLED, 5, 0)
    assert engine.cancel("b").reason is RejectReason.ORDER_CLOSED


def test_post_only_order_amended_to_cross_is_rejected_and_stays(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 3, 101)
    limit(engine, "p", BUY, 5, 99, TimeInForce.POST_ONLY)
    report = engine.amend("p", price=101)
    assert (report.status, report.reason) == (OrderStatus.REJECTED, RejectReason.POST_ONLY_WOULD_TAKE)
    assert engine.order("p") == RestingOrderView("p", BUY, 99, 5, 0)


def test_post_only_order_stays_post_only_after_an_amend(engine: MatchingEngine) -> None:
    limit(engine, "p", BUY, 5, 99, TimeInForce.POST_ONLY)
    engine.amend("p", price=98)
    limit(engine, "s", SELL, 3, 101)
    assert engine.amend("p", price=101).reason is RejectReason.POST_ONLY_WOULD_TAKE


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, RejectReason.NOTHING_TO_AMEND),
        ({"price": 100, "qty": 5}, RejectReason.NOTHING_TO_AMEND),
        ({"qty": 0}, RejectReason.NON_POSITIVE_QTY),
        ({"price": -1}, RejectReason.NON_POSITIVE_PRICE),
    ],
)
def test_bad_amend_is_rejected_and_changes_nothing(
    engine: MatchingEngine, kwargs: dict[str, int], reason: RejectReason
) -> None:
    limit(engine, "b", BUY, 5, 100)
    report = engine.amend("b", **kwargs)
    assert (report.status, report.reason, report.leaves, report.seq) == (OrderStatus.REJECTED, reason, 5, 1)
    assert engine.order("b") == RestingOrderView("b", BUY, 100, 5, 0)


def test_amend_of_unknown_order_is_rejected(engine: MatchingEngine) -> None:
    assert engine.amend("ghost", qty=1).reason is RejectReason.UNKNOWN_ORDER


# --- rejects --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_type", "qty", "price", "reason"),
    [
        (LIMIT, 0, 100, RejectReason.NON_POSITIVE_QTY),
        (LIMIT, -1, 100, RejectReason.NON_POSITIVE_QTY),
        (LIMIT, 1, 0, RejectReason.NON_POSITIVE_PRICE),
        (LIMIT, 1, -5, RejectReason.NON_POSITIVE_PRICE),
        (LIMIT, 1, None, RejectReason.MISSING_PRICE),
        (MARKET, 1, 100, RejectReason.PRICE_ON_MARKET_ORDER),
        (LIMIT, 1, 100, RejectReason.DUPLICATE_ORDER_ID),  # "b" rests already
    ],
)
def test_bad_order_is_rejected_with_a_reason_and_changes_nothing(
    engine: MatchingEngine, order_type: OrderType, qty: int, price: int | None, reason: RejectReason
) -> None:
    limit(engine, "b", BUY, 5, 99)
    limit(engine, "s", SELL, 5, 101)
    before = engine.snapshot()
    report = engine.submit("b", SELL, order_type, qty, price)
    assert (report.status, report.reason, report.seq) == (OrderStatus.REJECTED, reason, 2)
    assert not report.fills and not report.changes
    assert engine.snapshot() == before and engine.seq == 2


def test_id_of_a_filled_order_cannot_be_reused(engine: MatchingEngine) -> None:
    limit(engine, "s", SELL, 1, 100)
    engine.submit("m", BUY, MARKET, 1)
    assert limit(engine, "s", SELL, 1, 100).reason is RejectReason.DUPLICATE_ORDER_ID
    assert limit(engine, "m", SELL, 1, 100).reason is RejectReason.DUPLICATE_ORDER_ID


def test_id_of_a_rejected_order_can_be_used_again(engine: MatchingEngine) -> None:
    assert engine.submit("m", BUY, MARKET, 1).reason is RejectReason.NO_LIQUIDITY
    assert limit(engine, "m", BUY, 1, 100).status is OrderStatus.NEW


def test_closed_ids_are_forgotten_past_the_id_memory_but_live_orders_are_kept() -> None:
    engine = MatchingEngine(default_instruments()[0], id_memory=4)
    limit(engine, "keep", BUY, 1, 90)
    for i in range(9):
        limit(engine, f"c{i}", BUY, 1, 95)
        engine.cancel(f"c{i}")
    assert engine.cancel("c0").reason is RejectReason.UNKNOWN_ORDER  # two generations ago: forgotten
    assert [engine.cancel(f"c{i}").reason for i in range(4, 9)] == [RejectReason.ORDER_CLOSED] * 5
    assert engine.order("keep") == RestingOrderView("keep", BUY, 90, 1, 0)
    assert limit(engine, "keep", BUY, 1, 90).reason is RejectReason.DUPLICATE_ORDER_ID


# --- queries --------------------------------------------------------------------------------------


def test_snapshot_lists_levels_best_first_to_any_depth(engine: MatchingEngine) -> None:
    for i, price in enumerate((97, 99, 98)):
        limit(engine, f"b{i}", BUY, i + 1, price)
    for i, price in enumerate((103, 101, 102)):
        limit(engine, f"s{i}", SELL, i + 1, price)
    assert engine.snapshot() == L2Snapshot(6, [(99, 2), (98, 3), (97, 1)], [(101, 2), (102, 3), (103, 1)])
    assert engine.snapshot(2) == L2Snapshot(6, [(99, 2), (98, 3)], [(101, 2), (102, 3)])
    assert engine.snapshot(0) == L2Snapshot(6, [], [])
    assert engine.snapshot(10) == engine.snapshot()
    with pytest.raises(ValueError, match="depth"):
        engine.snapshot(-1)


def test_mid_needs_both_sides(engine: MatchingEngine) -> None:
    assert engine.mid() is None
    limit(engine, "b", BUY, 1, 99)
    assert engine.mid() is None
    limit(engine, "s", SELL, 1, 102)
    assert str(engine.mid()) == "10.05"


def test_open_order_ids_lists_only_live_orders(engine: MatchingEngine) -> None:
    limit(engine, "a", BUY, 1, 99)
    limit(engine, "b", BUY, 1, 98)
    limit(engine, "c", SELL, 1, 101)
    engine.cancel("b")
    engine.submit("m", SELL, MARKET, 1)
    assert set(engine.open_order_ids()) == {"c"}


@pytest.mark.parametrize("depth", [1, 3, 5, 6, 9, 10, 11, 50])
def test_snapshot_returns_min_of_depth_and_levels_best_first(engine: MatchingEngine, depth: int) -> None:
    for i in range(10):
        engine.submit(f"b{i}", Side.BUY, OrderType.LIMIT, 1 + i, price=1000 - i)
        engine.submit(f"a{i}", Side.SELL, OrderType.LIMIT, 1 + i, price=1001 + i)
    snap = engine.snapshot(depth)
    expected = min(depth, 10)
    assert snap.bids == [(1000 - i, 1 + i) for i in range(expected)]
    assert snap.asks == [(1001 + i, 1 + i) for i in range(expected)]
    assert engine.snapshot(0).bids == []
