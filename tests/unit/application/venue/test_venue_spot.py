from decimal import Decimal

import pytest

from tradewind.application.venue import (
    CancelCause,
    MarketUnit,
    NoFillReason,
    OrderRef,
    RejectCode,
    SimVenue,
    VenueError,
    VenueOrderStatus,
)
from tradewind.domain.values import Category, Side, TimeInForce

from .venue_support import START, limit, market

D = Decimal

SPOT = Category.SPOT


def test_limit_buy_locks_quote_and_a_cancel_releases_it(venue: SimVenue) -> None:
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "50000"))
    assert order.status is VenueOrderStatus.NEW
    assert venue.wallet_view("alice").coin("USDT").locked == D("5000")  # type: ignore[union-attr]
    cancelled = venue.cancel_order("alice", OrderRef(SPOT, "BTCUSDT", order.order_id))
    assert cancelled.status is VenueOrderStatus.CANCELLED
    assert cancelled.cancel_cause is CancelCause.USER
    usdt = venue.wallet_view("alice").coin("USDT")
    assert usdt is not None and (usdt.balance, usdt.locked) == (START["USDT"], D(0))


def test_taker_buy_below_its_limit_pays_the_maker_price_and_releases_the_rest(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.1", "60000"))
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "61000"))
    assert order.status is VenueOrderStatus.FILLED
    assert order.avg_price == D("60000")
    alice = venue.wallet_view("alice")
    assert alice.coin("USDT").balance == START["USDT"] - D("6000")  # type: ignore[union-attr]
    assert alice.coin("USDT").locked == 0  # type: ignore[union-attr]
    assert alice.coin("BTC").balance == START["BTC"] + D("0.1") - D("0.0001")  # taker fee in BTC  # type: ignore[union-attr]
    bob = venue.wallet_view("bob")
    assert bob.coin("USDT").balance == START["USDT"] + D("6000") - D("6")  # maker fee in USDT  # type: ignore[union-attr]
    assert bob.coin("BTC").balance == START["BTC"] - D("0.1")  # type: ignore[union-attr]
    assert bob.coin("BTC").locked == 0  # type: ignore[union-attr]


def test_partial_fill_keeps_the_rest_resting_with_its_share_of_the_lock(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.04", "60000"))
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "60000"))
    assert order.status is VenueOrderStatus.PARTIALLY_FILLED
    assert (order.cum_exec_qty, order.leaves_qty) == (D("0.04"), D("0.06"))
    assert venue.wallet_view("alice").coin("USDT").locked == D("3600")  # type: ignore[union-attr]
    closed = venue.cancel_order("alice", OrderRef(SPOT, "BTCUSDT", order.order_id))
    assert closed.status is VenueOrderStatus.PARTIALLY_FILLED_CANCELED
    assert venue.wallet_view("alice").coin("USDT").locked == 0  # type: ignore[union-attr]


def test_market_buy_qty_defaults_to_quote_coin(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "1", "50000"))
    order = venue.place_order("alice", market(SPOT, Side.BUY, "1000"))
    assert order.market_unit is MarketUnit.QUOTE
    assert order.cum_exec_qty == D("0.02")
    assert order.cum_exec_value == D("1000")


def test_market_buy_in_base_coin_takes_that_quantity(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.01", "50000"))
    venue.place_order("bob", limit(SPOT, Side.SELL, "1", "50100"))
    order = venue.place_order("alice", market(SPOT, Side.BUY, "0.02", market_unit=MarketUnit.BASE))
    assert order.status is VenueOrderStatus.FILLED
    assert order.cum_exec_value == D("500") + D("501")


def test_market_order_on_an_empty_book_is_cancelled_and_holds_nothing(venue: SimVenue) -> None:
    order = venue.place_order("alice", market(SPOT, Side.SELL, "0.01"))
    assert order.status is VenueOrderStatus.CANCELLED
    assert order.reject_reason is NoFillReason.NO_IMMEDIATE_FILL
    assert venue.wallet_view("alice").coin("BTC").locked == 0  # type: ignore[union-attr]


def test_post_only_that_would_take_is_cancelled_not_filled(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.1", "60000"))
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "60000", tif=TimeInForce.POST_ONLY))
    assert order.status is VenueOrderStatus.CANCELLED
    assert order.reject_reason is NoFillReason.POST_ONLY_WOULD_TAKE
    assert venue.wallet_view("alice").coin("USDT").locked == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("qty", "price", "code"),
    [
        ("0.000005", "60000", RejectCode.QTY_TOO_SMALL),
        ("0.0000015", "60000", RejectCode.QTY_STEP),
        ("0.1", "60000.05", RejectCode.PRICE_TICK),
        ("84", "1", RejectCode.QTY_TOO_LARGE),
        ("0.00002", "100", RejectCode.NOTIONAL_TOO_SMALL),
        ("3", "60000", RejectCode.INSUFFICIENT_BALANCE),
    ],
)
def test_order_off_the_filters_or_funds_is_refused_and_changes_nothing(
    venue: SimVenue, qty: str, price: str, code: RejectCode
) -> None:
    before = venue.wallet_view("alice")
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(SPOT, Side.BUY, qty, price))
    assert info.value.code is code
    assert info.value.category is Category.SPOT
    assert venue.wallet_view("alice").coins == before.coins
    assert not venue.account("alice").open_orders  # type: ignore[union-attr]
    assert venue.engine(SPOT, "BTCUSDT").snapshot().bids == []


def test_duplicate_order_link_id_is_refused(venue: SimVenue) -> None:
    venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "50000", order_link_id="x-1"))
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "50000", order_link_id="x-1"))
    assert info.value.code is RejectCode.DUPLICATE_LINK_ID
    venue.place_order("bob", limit(SPOT, Side.BUY, "0.1", "50000", order_link_id="x-1"))  # per account


def test_amend_up_locks_more_and_amend_down_releases(venue: SimVenue) -> None:
    venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "50000", order_link_id="a1"))
    ref = OrderRef(SPOT, "BTCUSDT", order_link_id="a1")
    venue.amend_order("alice", ref, price=D("51000"))
    assert venue.wallet_view("alice").coin("USDT").locked == D("5100")  # type: ignore[union-attr]
    venue.amend_order("alice", ref, qty=D("0.05"))
    assert venue.wallet_view("alice").coin("USDT").locked == D("2550")  # type: ignore[union-attr]
    assert venue.engine(SPOT, "BTCUSDT").snapshot().bids == [(510000, 50000)]


def test_amend_beyond_the_balance_is_refused_and_keeps_the_order(venue: SimVenue) -> None:
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "1", "50000"))
    ref = OrderRef(SPOT, "BTCUSDT", order.order_id)
    with pytest.raises(VenueError) as info:
        venue.amend_order("alice", ref, qty=D("3"))
    assert info.value.code is RejectCode.INSUFFICIENT_BALANCE
    assert venue.wallet_view("alice").coin("USDT").locked == D("50000")  # type: ignore[union-attr]
    assert venue.account("alice").open_orders[order.order_id].qty == D("1")  # type: ignore[union-attr]


def test_amend_that_crosses_fills_as_taker(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.1", "60000"))
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "59000"))
    amended = venue.amend_order("alice", OrderRef(SPOT, "BTCUSDT", order.order_id), price=D("60000"))
    assert amended.status is VenueOrderStatus.FILLED
    execs = list(venue.account("alice").executions)  # type: ignore[union-attr]
    assert [(e.is_maker, e.exec_price) for e in execs] == [(False, D("60000"))]


def test_cancel_of_a_finished_order_is_refused(venue: SimVenue) -> None:
    venue.place_order("bob", limit(SPOT, Side.SELL, "0.1", "60000"))
    order = venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "60000"))
    with pytest.raises(VenueError) as info:
        venue.cancel_order("alice", OrderRef(SPOT, "BTCUSDT", order.order_id))
    assert info.value.code is RejectCode.ORDER_FINISHED
    with pytest.raises(VenueError) as info:
        venue.cancel_order("alice", OrderRef(SPOT, "BTCUSDT", "no-such-id"))
    assert info.value.code is RejectCode.ORDER_NOT_FOUND


def test_cancel_all_narrows_to_the_symbol(venue: SimVenue) -> None:
    venue.place_order("alice", limit(SPOT, Side.BUY, "0.1", "50000"))
    venue.place_order("alice", limit(SPOT, Side.BUY, "1", "2000", symbol="ETHUSDT"))
    cancelled = venue.cancel_all("alice", SPOT, "BTCUSDT")
    assert [o.symbol for o in cancelled] == ["BTCUSDT"]
    assert [o.symbol for o in venue.account("alice").open_orders.values()] == ["ETHUSDT"]  # type: ignore[union-attr]
