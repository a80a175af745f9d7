"""Perpetual mechanics on the venue: funding amounts, liquidation prices and order-cost fees, all hand-computed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from tradewind.adapters.clock import SimClock
from tradewind.application.venue import AccountSettings, RejectCode, SimVenue, VenueError, VenueSettings
from tradewind.application.venue.model import ExecType, TransactionType
from tradewind.application.venue.settings import MarginMode
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.values import Category, Side

from .venue_support import limit, market

D = Decimal
LINEAR, SPOT = Category.LINEAR, Category.SPOT
EIGHT_HOURS_S = 8 * 3600
RICH = {"USDT": D("10000000"), "BTC": D("100")}


def _venue(**balances: dict[str, Decimal]) -> SimVenue:
    """``maker`` and ``taker`` are rich; the others are named with their balances (``iso_*`` isolated)."""
    accounts = [AccountSettings(api_key=k, api_secret=SecretStr("s"), balances=dict(RICH)) for k in ("maker", "taker")]
    accounts += [
        AccountSettings(
            api_key=name,
            api_secret=SecretStr("s"),
            balances=dict(b),
            margin_mode=MarginMode.ISOLATED if name.startswith("iso") else MarginMode.CROSS,
        )
        for name, b in balances.items()
    ]
    return SimVenue(
        [MatchingEngine(i) for i in default_instruments()], SimClock(), VenueSettings(accounts=tuple(accounts))
    )


def _clock(venue: SimVenue) -> SimClock:
    assert isinstance(venue.clock, SimClock)
    return venue.clock


def _usdt(venue: SimVenue, key: str) -> Decimal:
    view = venue.wallet_view(key).coin("USDT")
    assert view is not None
    return view.balance


def _set_market(venue: SimVenue, price: str, perp_bid: str | None = None, perp_ask: str | None = None) -> None:
    """Spot quoted ±10 around ``price`` (the index), one perp trade at ``price`` (the last), perp quoted around it."""
    p = D(price)
    for category in (SPOT, LINEAR):
        venue.cancel_all("maker", category)
    venue.place_order("maker", limit(SPOT, Side.BUY, "0.1", str(p - 10)))
    venue.place_order("maker", limit(SPOT, Side.SELL, "0.1", str(p + 10)))
    venue.place_order("maker", limit(LINEAR, Side.SELL, "0.001", price))
    venue.place_order("taker", market(LINEAR, Side.BUY, "0.001"))
    venue.place_order("maker", limit(LINEAR, Side.BUY, "5", perp_bid or str(p - 10)))
    venue.place_order("maker", limit(LINEAR, Side.SELL, "5", perp_ask or str(p + 10)))


def _open(venue: SimVenue, key: str, side: Side, qty: str, price: str) -> None:
    """``key`` takes ``qty`` at exactly ``price`` from a maker order there."""
    venue.cancel_all("maker", LINEAR)
    venue.place_order("maker", limit(LINEAR, side.opposite, qty, price))
    venue.place_order(key, market(LINEAR, side, qty))


async def test_funding_moves_size_times_mark_times_rate_from_longs_to_shorts() -> None:
    venue = _venue(alice={"USDT": D("100000")}, bob={"USDT": D("100000")})
    _open(venue, "alice", Side.BUY, "0.5", "60000")
    _open(venue, "bob", Side.SELL, "0.3", "60000")
    # Index 60 000 (spot mid); the perp bid 60 060 is above it: premium P = 60 / 60 000 = 0.001.
    # Rate = P + clamp(0.0001 - P, -0.0005, 0.0005) = 0.001 - 0.0005 = 0.0005.
    _set_market(venue, "60000", perp_bid="60060", perp_ask="60080")
    venue.tick()
    assert venue.funding_rate("BTCUSDT") == D("0.0005")
    start = _clock(venue).now_ms()
    assert venue.next_funding_time("BTCUSDT") == start + EIGHT_HOURS_S * 1000  # the clock starts at 00:00 UTC
    alice_before, bob_before = _usdt(venue, "alice"), _usdt(venue, "bob")
    await _clock(venue).advance(EIGHT_HOURS_S)
    venue.tick()
    # At settlement the mark is median(index x (1 + rate x 0), index + basis 70, last 60 000) = 60 000.
    assert venue.mark_price("BTCUSDT") == D("60000")
    assert _usdt(venue, "alice") == alice_before - D("0.5") * 60000 * D("0.0005")  # pays 15
    assert _usdt(venue, "bob") == bob_before + D("0.3") * 60000 * D("0.0005")  # receives 9
    (history,) = venue.funding_history("BTCUSDT")
    assert (history.rate, history.ts_ms) == (D("0.0005"), start + EIGHT_HOURS_S * 1000)
    account = venue.account("alice")
    assert account is not None
    (row,) = account.transactions
    assert (row.type, row.funding, row.fee_rate, row.side) == (
        TransactionType.SETTLEMENT,
        D("-15"),
        D("0.0005"),
        Side.BUY,
    )
    assert row.cash_balance == _usdt(venue, "alice")
    assert venue.positions("alice", "BTCUSDT")[0].cum_realised_pnl == -D("0.5") * 60000 * D("0.00055") - 15


async def test_without_a_premium_the_rate_is_the_interest_rate_and_it_is_capped() -> None:
    venue = _venue()
    _set_market(venue, "60000")  # perp bid below and ask above the index: no premium
    venue.tick()
    assert venue.funding_rate("BTCUSDT") == D("0.0001")
    _set_market(venue, "60000", perp_bid="61000", perp_ask="61010")  # P = 1000 / 60 000 = 0.01667 > cap
    await _clock(venue).advance(60)
    venue.tick()
    # Average of the samples (0 and 0.0166667): 0.00833 -> 0.00783 after the clamp -> capped at 0.00375.
    assert venue.funding_rate("BTCUSDT") == D("0.00375")


def test_a_resting_linear_order_reserves_its_fees_with_its_margin() -> None:
    venue = _venue(alice={"USDT": D("100000")}, poor={"USDT": D("5052")})
    account = venue.account("alice")
    assert account is not None
    before = account.available("USDT")
    venue.place_order("alice", limit(LINEAR, Side.BUY, "1", "50000"))
    # IM 5 000 + fee to open 50 000 x 0.00055 + fee to close at the bankruptcy price 45 000 x 0.00055
    assert before - account.available("USDT") == D("5000") + D("27.5") + D("24.75")
    with pytest.raises(VenueError) as info:  # 5 052 covers the margin, not the 52.25 of fees too
        venue.place_order("poor", limit(LINEAR, Side.BUY, "1", "50000"))
    assert info.value.code is RejectCode.INSUFFICIENT_BALANCE
    assert "fees 52.25" in info.value.message


def test_an_isolated_long_is_liquidated_at_the_hand_computed_price_and_loses_its_margin() -> None:
    venue = _venue(iso_bob={"USDT": D("100000")})
    _open(venue, "iso_bob", Side.BUY, "1", "60000")  # 10x: IM 6 000
    # Liquidation price = 60 000 x (1 - 1/10 + 0.005) = 54 300; bankruptcy price = 60 000 x (1 - 1/10) = 54 000.
    balance = _usdt(venue, "iso_bob")
    _set_market(venue, "54300.1")
    venue.tick()
    assert venue.mark_price("BTCUSDT") == D("54300.1")
    assert venue.positions("iso_bob", "BTCUSDT")[0].size == 1  # one tick above: still open
    _set_market(venue, "54300")
    venue.tick()
    (pos,) = venue.positions("iso_bob", "BTCUSDT")
    assert pos.size == 0
    assert _usdt(venue, "iso_bob") == balance - 6000  # closed at 54 000: the whole initial margin lost
    account = venue.account("iso_bob")
    assert account is not None
    bust = account.executions[-1]
    assert (bust.exec_type, bust.exec_price, bust.exec_qty, bust.exec_pnl) == (
        ExecType.BUST_TRADE,
        D("54000"),
        D("1"),
        D("-6000"),
    )
    (row,) = account.transactions
    assert (row.type, row.change, row.price) == (TransactionType.LIQUIDATION, D("-6000"), D("54000"))


def test_switching_to_isolated_shows_the_liquidation_price_it_will_act_on() -> None:
    venue = _venue(bob={"USDT": D("100000")})
    venue.set_margin_mode("bob", MarginMode.ISOLATED)
    _open(venue, "bob", Side.BUY, "1", "60000")
    (pos,) = venue.positions("bob", "BTCUSDT")
    assert (pos.liq_price, pos.bust_price) == (D("54300"), D("54000"))  # the prices of the test above
    assert pos.position_mm == pos.mark_price * D("0.005")
    _set_market(venue, "54300")
    venue.tick()
    assert venue.positions("bob", "BTCUSDT")[0].size == 0  # taken over at the price it showed


def test_margin_mode_is_pinned_by_a_position_or_an_open_linear_order() -> None:
    venue = _venue(bob={"USDT": D("100000")}, carl={"USDT": D("100000")})
    _open(venue, "bob", Side.BUY, "0.1", "60000")
    venue.place_order("carl", limit(LINEAR, Side.BUY, "0.1", "50000"))
    for key in ("bob", "carl"):
        with pytest.raises(VenueError) as info:
            venue.set_margin_mode(key, MarginMode.ISOLATED)
        assert info.value.code is RejectCode.MARGIN_MODE_LOCKED and "BTCUSDT" in info.value.message
        account = venue.account(key)
        assert account is not None and account.margin_mode is MarginMode.CROSS
    (pos,) = venue.positions("bob", "BTCUSDT")
    assert (pos.liq_price, pos.bust_price) == (None, None)  # cross: the account's equity decides
    venue.set_margin_mode("bob", MarginMode.CROSS)  # the mode it has: nothing to refuse


def test_a_cross_account_is_liquidated_when_equity_falls_to_the_maintenance_margin() -> None:
    venue = _venue(carl={"USDT": D("1000")})
    _open(venue, "carl", Side.BUY, "0.1", "60000")  # pays the taker fee 3.3: balance 996.7
    # Equity 996.7 + 0.1 x (mark - 60 000) <= MM 0.1 x mark x 0.005  <=>  mark <= 5 003.3 / 0.0995 = 50 284.42...
    _set_market(venue, "50284.5")
    venue.tick()
    assert venue.positions("carl", "BTCUSDT")[0].size == D("0.1")
    _set_market(venue, "50284.4")
    venue.tick()
    assert venue.positions("carl", "BTCUSDT")[0].size == 0
    assert _usdt(venue, "carl") == D("996.7") + D("0.1") * (D("50284.4") - 60000)  # closed at the mark


def test_ticks_do_not_touch_the_books() -> None:
    venue = _venue(iso_bob={"USDT": D("100000")})
    _set_market(venue, "60000")
    before = {i.key: venue.engine(i.category, i.symbol).snapshot() for i in venue.instruments()}
    venue.tick()
    after = {i.key: venue.engine(i.category, i.symbol).snapshot() for i in venue.instruments()}
    assert before == after
