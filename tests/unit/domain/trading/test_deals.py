"""The position rules as pure functions: levels on the grid around the entry, the cooling period, PnL with fees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.instruments import default_instruments
from tradewind.domain.signals.signal import Action
from tradewind.domain.trading import (
    CloseReason,
    Deal,
    DealStatus,
    deal_client_order_id,
    fee_in_quote,
    pnl_report,
    position_status,
    protection_levels,
)
from tradewind.domain.values import Category

D = Decimal
LINEAR = next(i for i in default_instruments() if i.category is Category.LINEAR and i.symbol == "BTCUSDT")
SPOT = next(i for i in default_instruments() if i.category is Category.SPOT and i.symbol == "BTCUSDT")
HOUR_NS = 3600 * 10**9


def open_buy(source: str = "a", entry: str = "100", qty: str = "2", fee: str = "0.2") -> Deal:
    deal = Deal(None, 0, "x", Category.LINEAR, "BTCUSDT", source, "s", Action.BUY, "sgb1", DealStatus.PENDING, D(1))
    return deal.opened("e1", D(qty), D(entry), D(fee), (D("103"), D("98")))


@given(
    entry=st.decimals(min_value=D("1"), max_value=D("1000000"), places=1),
    tp=st.decimals(min_value=D("0.1"), max_value=D("50"), places=2),
    sl=st.decimals(min_value=D("0.1"), max_value=D("50"), places=2),
)
def test_levels_are_on_the_tick_grid_take_profit_above_and_stop_loss_below(
    entry: Decimal, tp: Decimal, sl: Decimal
) -> None:
    take_profit, stop_loss = protection_levels(entry, tp, sl, LINEAR)
    assert take_profit % LINEAR.tick_size == 0 and stop_loss % LINEAR.tick_size == 0
    assert stop_loss <= entry <= take_profit
    assert abs(take_profit - entry * (1 + tp / 100)) <= LINEAR.tick_size / 2
    assert abs(stop_loss - entry * (1 - sl / 100)) <= LINEAR.tick_size / 2


def test_default_levels_three_and_two_percent() -> None:
    assert protection_levels(D("60000"), D("3"), D("2"), LINEAR) == (D("61800"), D("58800"))


@given(
    closed_ago_s=st.one_of(st.none(), st.integers(min_value=0, max_value=3 * 3600)),
    has_open=st.booleans(),
    cooling_s=st.integers(min_value=0, max_value=7200),
)
def test_a_buy_may_open_only_with_nothing_open_and_no_close_within_the_cooling_period(
    closed_ago_s: int | None, has_open: bool, cooling_s: int
) -> None:
    now = 10 * HOUR_NS
    last = None if closed_ago_s is None else now - closed_ago_s * 10**9
    status = position_status(open_buy() if has_open else None, last, now, cooling_s)
    recently = closed_ago_s is not None and closed_ago_s < cooling_s
    assert status.recently_closed is recently and status.has_open_position is has_open
    assert status.can_open_new is (not has_open and not recently)


def test_the_cooling_period_ends_exactly_an_hour_after_the_close() -> None:
    assert position_status(None, 0, HOUR_NS - 1, 3600).can_open_new is False
    assert position_status(None, 0, HOUR_NS, 3600).can_open_new is True


def test_client_order_ids_are_derived_from_the_signal_and_fit_every_exchange() -> None:
    ids = {deal_client_order_id("sig-1", role) for role in "bsx"}
    assert len(ids) == 3 and all(len(i) <= 36 and i.startswith("sg") for i in ids)
    assert (
        deal_client_order_id("sig-1", "b") == deal_client_order_id("sig-1", "b") != deal_client_order_id("sig-2", "b")
    )
    with pytest.raises(ValueError, match="role"):
        deal_client_order_id("sig-1", "q")


def test_a_base_coin_fee_is_valued_at_the_fill_price() -> None:
    assert fee_in_quote(D("0.001"), "BTC", D("60000"), SPOT) == D("60.000")
    assert fee_in_quote(D("1.5"), "USDT", D("60000"), SPOT) == D("1.5")


def test_pnl_includes_both_fees_and_sums_by_source() -> None:
    closed = open_buy("a").closed(CloseReason.STOP_LOSS, D("98"), D("0.1"), 5)
    still_open = open_buy("b", entry="50", qty="1", fee="0.05")
    other = open_buy("a", entry="10", qty="1", fee="0").closed(CloseReason.TAKE_PROFIT, D("12"), D("0"), 6)
    assert closed.realised_pnl() == (D("98") - D("100")) * 2 - D("0.2") - D("0.1")
    assert closed.stop_loss_hit and not closed.take_profit_hit and not closed.manually_closed
    report = pnl_report([closed, still_open, other], {("x", "linear", "BTCUSDT"): D("55")})
    assert report.by_source["a"].realised == D("-4.3") + D("2")
    assert report.by_source["b"].unrealised == D("5") - D("0.05") == report.unrealised
    assert report.total == report.realised + report.unrealised == D("-2.3") + D("4.95")


def test_which_level_an_exchange_close_hit_is_told_by_its_exit_price() -> None:
    deal = open_buy()
    assert deal.exit_reason(D("98")) is CloseReason.STOP_LOSS
    assert deal.exit_reason(D("97.5")) is CloseReason.STOP_LOSS  # slipped past the level
    assert deal.exit_reason(D("103.2")) is CloseReason.TAKE_PROFIT
