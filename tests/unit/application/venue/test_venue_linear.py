from decimal import Decimal

import pytest

from tradewind.application.venue import OrderRef, RejectCode, SimVenue, VenueError, VenueOrderStatus
from tradewind.domain.values import Category, Side
from tradewind.domain.venue_accounts import StopKind

from .venue_support import START, limit, market

D = Decimal
LINEAR = Category.LINEAR


def _book(venue: SimVenue, price: str = "60000", qty: str = "1") -> None:
    """Bob quotes both sides around ``price`` (0.1 apart)."""
    venue.place_order("bob", limit(LINEAR, Side.SELL, qty, price))
    venue.place_order("bob", limit(LINEAR, Side.BUY, qty, str(D(price) - D("0.1"))))


def test_market_buy_opens_a_long_and_charges_the_taker_fee(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    (pos,) = venue.positions("alice")
    assert (pos.side, pos.size, pos.avg_price) == (Side.BUY, D("0.1"), D("60000"))
    assert pos.position_im == D("600")  # 6000 / leverage 10
    usdt = venue.wallet_view("alice").coin("USDT")
    assert usdt is not None
    assert usdt.balance == START["USDT"] - D("3.3")  # 6000 * 0.00055
    assert usdt.available == START["USDT"] - D("3.3") - D("600")


def test_closing_a_long_settles_realised_pnl_into_the_wallet(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    venue.cancel_all("bob", LINEAR, "BTCUSDT")
    _book(venue, "61000.1")
    venue.place_order("alice", market(LINEAR, Side.SELL, "0.1"))
    (pos,) = venue.positions("alice", "BTCUSDT")
    assert pos.size == 0 and pos.side is None
    fees = D("6000") * D("0.00055") + D("6100") * D("0.00055")
    assert venue.wallet_view("alice").coin("USDT").balance == START["USDT"] + D("100") - fees  # type: ignore[union-attr]
    assert pos.cum_realised_pnl == D("100") - fees


def test_order_needing_more_margin_than_available_is_refused(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(LINEAR, Side.BUY, "20", "60000"))  # IM 120 000 > 100 000
    assert info.value.code is RejectCode.INSUFFICIENT_BALANCE
    venue.set_leverage("alice", "BTCUSDT", D("20"))
    order = venue.place_order("alice", limit(LINEAR, Side.BUY, "20", "60000"))
    assert order.status is VenueOrderStatus.NEW
    # Bybit's order cost: IM 60 000 + the taker fee to open (1 200 000 x 0.00055) and to close at the
    # bankruptcy price (1 200 000 x (1 - 1/20) x 0.00055).
    order_cost = D("60000") + D("660") + D("627")
    assert venue.wallet_view("alice").coin("USDT").order_im == order_cost  # type: ignore[union-attr]


def test_resting_linear_order_holds_margin_that_spot_cannot_use(venue: SimVenue) -> None:
    venue.place_order("alice", limit(LINEAR, Side.BUY, "15", "60000"))  # IM 90 000
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(Category.SPOT, Side.BUY, "0.2", "60000"))  # 12 000 USDT
    assert info.value.code is RejectCode.INSUFFICIENT_BALANCE


def test_reduce_only_without_a_position_is_refused(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(LINEAR, Side.SELL, "0.1", "60000", reduce_only=True))
    assert info.value.code is RejectCode.REDUCE_ONLY_ZERO


def test_reduce_only_is_clipped_to_the_position(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    order = venue.place_order("alice", limit(LINEAR, Side.SELL, "0.5", "70000", reduce_only=True))
    assert order.qty == D("0.1")
    assert venue.wallet_view("alice").coin("USDT").order_im == 0  # type: ignore[union-attr]


def test_linear_qty_below_minimum_and_notional_below_minimum(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(LINEAR, Side.BUY, "0.0005", "60000"))
    assert info.value.code is RejectCode.QTY_STEP
    with pytest.raises(VenueError) as info:
        venue.place_order("alice", limit(LINEAR, Side.BUY, "0.001", "4000"))
    assert info.value.code is RejectCode.NOTIONAL_TOO_SMALL


def test_leverage_out_of_range_or_unchanged_is_refused(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.set_leverage("alice", "BTCUSDT", D("101"))
    assert info.value.code is RejectCode.INVALID_PARAM
    with pytest.raises(VenueError) as info:
        venue.set_leverage("alice", "BTCUSDT", D("10"))
    assert info.value.code is RejectCode.LEVERAGE_NOT_MODIFIED


def test_take_profit_fires_a_closing_market_order_when_trades_reach_it(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    venue.set_trading_stop("alice", "BTCUSDT", take_profit=D("60500"))
    # The market trades up through 60500: carol lifts bob's offers, then bids sit there for the close.
    venue.place_order("bob", limit(LINEAR, Side.SELL, "0.5", "60500"))
    venue.place_order("bob", limit(LINEAR, Side.BUY, "0.5", "60499"))
    venue.place_order("carol", market(LINEAR, Side.BUY, "1.5"))
    (pos,) = venue.positions("alice", "BTCUSDT")
    assert pos.size == 0
    closing = [o for o in venue.account("alice").history if o.stop_kind is StopKind.TAKE_PROFIT]  # type: ignore[union-attr]
    assert len(closing) == 1
    assert closing[0].status is VenueOrderStatus.FILLED
    assert closing[0].reduce_only and closing[0].close_on_trigger


def test_stop_loss_set_on_the_order_applies_to_the_position(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1", stop_loss=D("59000")))
    (pos,) = venue.positions("alice", "BTCUSDT")
    assert pos.stop_loss == D("59000")
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.9"))  # trades at 59999.9: no trigger
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.1")
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "58999"))
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.5"))  # trades at 59000 -> stop fires
    assert venue.positions("alice", "BTCUSDT")[0].size == 0


def test_trading_stop_on_a_flat_position_is_refused(venue: SimVenue) -> None:
    with pytest.raises(VenueError) as info:
        venue.set_trading_stop("alice", "BTCUSDT", stop_loss=D("50000"))
    assert info.value.code is RejectCode.ZERO_POSITION


def test_take_profit_below_the_price_of_a_long_is_refused(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    with pytest.raises(VenueError) as info:
        venue.set_trading_stop("alice", "BTCUSDT", take_profit=D("59000"))
    assert info.value.code is RejectCode.TPSL_INVALID


def test_amend_of_a_linear_order_moves_its_margin(venue: SimVenue) -> None:
    order = venue.place_order("alice", limit(LINEAR, Side.BUY, "1", "50000"))
    venue.amend_order("alice", OrderRef(LINEAR, "BTCUSDT", order.order_id), qty=D("2"))
    # IM 10 000 + taker fees to open (100 000 x 0.00055) and to close at the bankruptcy price 90 000
    assert venue.wallet_view("alice").coin("USDT").order_im == D("10000") + D("55") + D("49.5")  # type: ignore[union-attr]


def test_leverage_change_moves_the_margin_of_resting_orders(venue: SimVenue) -> None:
    venue.place_order("alice", limit(LINEAR, Side.BUY, "1", "50000"))
    open_fee = D("50000") * D("0.00055")
    assert venue.wallet_view("alice").coin("USDT").order_im == D("5000") + open_fee + D("45000") * D("0.00055")  # type: ignore[union-attr]
    venue.set_leverage("alice", "BTCUSDT", D("20"))
    assert venue.wallet_view("alice").coin("USDT").order_im == D("2500") + open_fee + D("47500") * D("0.00055")  # type: ignore[union-attr]


def test_a_fill_that_opens_a_position_frees_the_margin_of_an_opposite_order(venue: SimVenue) -> None:
    venue.place_order("alice", limit(LINEAR, Side.SELL, "0.1", "70000"))  # IM 700 + fees while flat
    fees = D("7000") * D("0.00055") + D("7700") * D("0.00055")  # a short closes at the bankruptcy price 77 000
    assert venue.wallet_view("alice").coin("USDT").order_im == D("700") + fees  # type: ignore[union-attr]
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))  # now the sell would only close
    assert venue.wallet_view("alice").coin("USDT").order_im == 0  # type: ignore[union-attr]


def test_trailing_stop_closes_a_long_after_a_pullback_from_the_high(venue: SimVenue) -> None:
    _book(venue)
    venue.place_order("alice", market(LINEAR, Side.BUY, "0.1"))
    venue.set_trading_stop("alice", "BTCUSDT", trailing_stop=D("100"))
    venue.cancel_all("bob", LINEAR, "BTCUSDT")
    for price in ("60100", "60200"):  # carol lifts offers: the high moves to 60200
        venue.place_order("bob", limit(LINEAR, Side.SELL, "0.1", price))
        venue.place_order("carol", market(LINEAR, Side.BUY, "0.1"))
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.1")
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "60150"))
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.1"))  # 60150: above 60200 - 100, no trigger
    assert venue.positions("alice", "BTCUSDT")[0].size == D("0.1")
    venue.cancel_all("bob", LINEAR, "BTCUSDT")
    venue.place_order("bob", limit(LINEAR, Side.BUY, "1", "60100"))
    venue.place_order("carol", market(LINEAR, Side.SELL, "0.1"))  # 60100 = 60200 - 100: fires
    assert venue.positions("alice", "BTCUSDT")[0].size == 0
    (close,) = [o for o in venue.account("alice").history if o.stop_kind is StopKind.TRAILING_STOP]  # type: ignore[union-attr]
    assert close.avg_price == D("60100")
