"""Partial TP / SL (Bybit's tpslMode Partial): several sized pairs on one position, each its own conditional orders."""

from decimal import Decimal

import pytest

from tradewind.application.venue import Order, OrderRef, RejectCode, SimVenue, VenueError, VenueOrderStatus
from tradewind.application.venue.account import VenueAccount
from tradewind.domain.values import Category, Side
from tradewind.domain.venue_accounts import StopKind

from .venue_support import limit, market

D = Decimal
LINEAR = Category.LINEAR


def _long(venue: SimVenue, qty: str = "0.3") -> None:
    """Bob quotes 60000 / 59999.9; alice buys ``qty`` at 60000."""
    venue.place_order("bob", limit(LINEAR, Side.SELL, "1", "60000"))
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "59999.9"))
    venue.place_order("alice", market(LINEAR, Side.BUY, qty))


def _trade_down_to_58999(venue: SimVenue) -> None:
    """Carol sells through bob's bids: the last trades print at 58999 (bob keeps 0.6 bid there)."""
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.9"))
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "58999"))
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.5"))


def _alice(venue: SimVenue) -> VenueAccount:
    account = venue.account("alice")
    assert account is not None
    return account


def _order(venue: SimVenue, order_id: str) -> Order:
    found = _alice(venue).find_order(order_id)
    assert found is not None
    return found


def _pairs(venue: SimVenue) -> tuple[tuple[Order | None, Order | None], tuple[Order | None, Order | None]]:
    a = venue.add_partial_stop("alice", "BTCUSDT", take_profit=D("62000"), stop_loss=D("59000"), size=D("0.1"))
    b = venue.add_partial_stop("alice", "BTCUSDT", take_profit=D("63000"), stop_loss=D("58000"), size=D("0.2"))
    return a, b


def test_two_pairs_on_one_position_one_fires_the_other_stays(venue: SimVenue) -> None:
    _long(venue)
    (a_tp, a_sl), (b_tp, b_sl) = _pairs(venue)
    assert a_tp is not None and a_sl is not None and b_tp is not None and b_sl is not None
    assert (a_sl.status, a_sl.stop_kind, a_sl.qty, a_sl.trigger_price) == (
        VenueOrderStatus.UNTRIGGERED, StopKind.PARTIAL_STOP_LOSS, D("0.1"), D("59000")
    )  # fmt: skip
    assert a_sl.reduce_only and a_sl.close_on_trigger and a_sl.side is Side.SELL
    assert venue.positions("alice", "BTCUSDT")[0].stop_loss is None  # the position's own (Full) levels untouched
    _trade_down_to_58999(venue)
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.2")  # A's 0.1 closed, B's 0.2 held
    fired = _order(venue, a_sl.order_id)
    assert (fired.status, fired.cum_exec_qty, fired.avg_price) == (VenueOrderStatus.FILLED, D("0.1"), D("58999"))
    (execution,) = [e for e in _alice(venue).executions if e.order_id == a_sl.order_id]
    assert (execution.exec_qty, execution.stop_kind) == (D("0.1"), StopKind.PARTIAL_STOP_LOSS)
    assert execution.side is Side.SELL
    assert _order(venue, a_tp.order_id).status is VenueOrderStatus.DEACTIVATED  # its pair: one closes, not both
    for kept in (b_tp, b_sl):
        assert (_order(venue, kept.order_id).status, _order(venue, kept.order_id).qty) == (
            VenueOrderStatus.UNTRIGGERED, D("0.2")
        )  # fmt: skip


def test_a_shrinking_position_cuts_the_oldest_partial_orders_first(venue: SimVenue) -> None:
    _long(venue)
    (a_tp, a_sl), (b_tp, b_sl) = _pairs(venue)
    assert a_tp is not None and a_sl is not None and b_tp is not None and b_sl is not None
    venue.place_order("alice", market(LINEAR, Side.SELL, "0.15", reduce_only=True))  # 0.15 left under 0.3 of stops
    assert _order(venue, a_tp.order_id).status is VenueOrderStatus.DEACTIVATED
    assert _order(venue, a_sl.order_id).status is VenueOrderStatus.DEACTIVATED
    assert _order(venue, b_sl.order_id).qty == D("0.15")
    assert _order(venue, b_tp.order_id).qty == D("0.15")
    venue.place_order("alice", market(LINEAR, Side.SELL, "0.15", reduce_only=True))  # flat: every stop ends
    assert {_order(venue, o.order_id).status for o in (b_tp, b_sl)} == {VenueOrderStatus.DEACTIVATED}
    assert not _alice(venue).conditional_orders("BTCUSDT")


def test_a_fired_stop_closes_no_more_than_the_position_holds(venue: SimVenue) -> None:
    _long(venue, "0.1")
    _, sl = venue.add_partial_stop("alice", "BTCUSDT", take_profit=None, stop_loss=D("59000"), size=D("0.1"))
    assert sl is not None
    # the position turns smaller after the stop was set: the stop follows it, then closes only what is left
    venue.place_order("alice", market(LINEAR, Side.SELL, "0.04", reduce_only=True))
    _trade_down_to_58999(venue)
    assert venue.positions("alice", "BTCUSDT")[0].size == 0
    assert _order(venue, sl.order_id).cum_exec_qty == D("0.06")


def test_a_cancelled_partial_stop_never_fires(venue: SimVenue) -> None:
    _long(venue)
    (a_tp, a_sl), _ = _pairs(venue)
    assert a_tp is not None and a_sl is not None
    for order in (a_tp, a_sl):
        cancelled = venue.cancel_order("alice", OrderRef(LINEAR, "BTCUSDT", order_id=order.order_id))
        assert cancelled.status is VenueOrderStatus.CANCELLED
    _trade_down_to_58999(venue)
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.3")
    with pytest.raises(VenueError) as info:
        venue.cancel_order("alice", OrderRef(LINEAR, "BTCUSDT", order_id=a_sl.order_id))
    assert info.value.code is RejectCode.ORDER_FINISHED


@pytest.mark.parametrize(
    ("tp", "sl", "size", "code"),
    [
        ("62000", "59000", "0.5", RejectCode.TPSL_INVALID),  # more than the position
        ("59000", None, "0.1", RejectCode.TPSL_INVALID),  # a long's TP below the price
        (None, "61000", "0.1", RejectCode.TPSL_INVALID),  # a long's SL above the price
        ("62000", None, "0.0001", RejectCode.QTY_STEP),  # off the lot grid
        (None, None, "0.1", RejectCode.INVALID_PARAM),  # nothing to set
    ],
)
def test_bad_partial_stops_are_refused_and_change_nothing(
    venue: SimVenue, tp: str | None, sl: str | None, size: str, code: RejectCode
) -> None:
    _long(venue)
    with pytest.raises(VenueError) as info:
        venue.add_partial_stop(
            "alice", "BTCUSDT", take_profit=D(tp) if tp else None, stop_loss=D(sl) if sl else None, size=D(size)
        )
    assert info.value.code is code
    assert not _alice(venue).conditional_orders("BTCUSDT")


def test_partial_stops_on_a_flat_position_are_refused(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.add_partial_stop("alice", "BTCUSDT", take_profit=None, stop_loss=D("50000"), size=D("0.1"))
    assert info.value.code is RejectCode.ZERO_POSITION


def test_an_order_with_partial_tpsl_gets_a_pair_of_its_filled_size(venue: SimVenue) -> None:
    venue.place_order("bob", limit(LINEAR, Side.SELL, "1", "60000"))
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "59999.9"))
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.2"))
    venue.place_order(
        "alice", market(LINEAR, Side.BUY, "0.1", take_profit=D("62000"), stop_loss=D("59000"), tpsl_partial=True)
    )
    stops = _alice(venue).conditional_orders("BTCUSDT")
    assert sorted((o.stop_kind, o.qty, o.trigger_price) for o in stops) == [
        (StopKind.PARTIAL_STOP_LOSS, D("0.1"), D("59000")),
        (StopKind.PARTIAL_TAKE_PROFIT, D("0.1"), D("62000")),
    ]
    assert venue.positions("alice", "BTCUSDT")[0].stop_loss is None
    _trade_down_to_58999(venue)
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.2")  # the order's 0.1 only
