"""A trade closed in parts: its PnL is exactly the cash flow of what its own fills closed, minus every fee; what went
missing earns no PnL; more than it holds is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.trading.trades import Trade, TradeStatus
from tradewind.domain.values import Category, Side

D = Decimal


def trade(side: Side = Side.BUY, qty: str = "0.016", entry: str = "60010", fee: str = "0.528088") -> Trade:
    opened = Trade(1, "k", 0, "sim", Category.LINEAR, "BTCUSDT", side, D(qty), TradeStatus.OPEN)
    return opened.opened(D(qty), D(entry), D(fee))


def test_a_part_closed_by_the_pair_counts_its_own_quantity_not_the_whole_trade() -> None:
    part = trade().realised(D("0.010"), D(59000) * D("0.010"), D("0.3245"), missing=D("0.006"))
    closed = part.ended("stop_loss", 5, by_exchange=True)
    assert (closed.closed_qty, closed.missing_qty, closed.open_qty, closed.close_price) == (
        D("0.010"), D("0.006"), 0, D(59000),
    )  # fmt: skip
    # (59000 - 60010) x 0.010 - entry fee - the stop's fee; the 0.006 gone elsewhere earns nothing.
    assert closed.pnl() == D("-10.10") - D("0.528088") - D("0.3245")


def test_the_rest_stays_open_and_is_marked_while_the_closed_part_is_realised() -> None:
    part = trade().realised(D("0.010"), D("590.00"), D("0.3245"))
    assert (part.status, part.open_qty) == (TradeStatus.OPEN, D("0.006"))
    assert part.pnl(D(61010)) == D("-10.10") + D("6.00") - D("0.528088") - D("0.3245")
    done = part.closed("manual", D(61010), D("0.2"), 9)
    assert done.pnl() == D("-10.10") + D("6.00") - D("0.528088") - D("0.3245") - D("0.2")
    assert done.close_price == (D("590.00") + D("366.06")) / D("0.016")


def test_a_short_gains_when_it_buys_back_lower() -> None:
    short = trade(Side.SELL).closed("take_profit", D(59010), D(0), 1)
    assert short.pnl() == D("16.00") - D("0.528088")


@pytest.mark.parametrize(("qty", "missing"), [("0.017", "0"), ("0.010", "0.007"), ("-0.001", "0")])
def test_more_than_the_trade_holds_or_a_negative_part_is_refused(qty: str, missing: str) -> None:
    with pytest.raises(ValueError, match=r"holds|>= 0"):
        trade().realised(D(qty), D(59000) * abs(D(qty)), D(0), missing=D(missing))


def test_a_trade_with_something_open_cannot_end_without_a_price() -> None:
    with pytest.raises(ValueError, match=r"still holds 0\.006"):
        trade().realised(D("0.010"), D("590"), D(0)).ended("stop_loss", 1)


lots = st.integers(1, 40)  # 0.001 BTC each
fills = st.tuples(lots, st.integers(50_000_0, 70_000_0), st.integers(0, 5_000))  # qty, price in ticks, fee in 1e-4


@given(
    st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 120), st.integers(0, 9_999), st.lists(fills, max_size=12),
    st.lists(st.integers(0, 5), max_size=12),
)  # fmt: skip
def test_any_sequence_of_parts_realises_exactly_their_cash_flow_minus_fees(
    side: Side, qty_lots: int, entry_fee: int, parts: list[tuple[int, int, int]], missing: list[int]
) -> None:
    qty, step, entry = D(qty_lots) / 1000, D("0.001"), D("60010.5")
    t = trade(side, str(qty), str(entry), str(D(entry_fee) / 10_000))
    flow, fees, closed_qty = D(0), t.fee, D(0)
    for i, (lots_n, ticks, fee_n) in enumerate(parts):
        part_qty, price, fee = lots_n * step, D(ticks) / 10, D(fee_n) / 10_000
        gone = (missing[i] if i < len(missing) else 0) * step
        if part_qty + gone > t.open_qty:
            with pytest.raises(ValueError):
                t.realised(part_qty, price * part_qty, fee, missing=gone)
            continue
        t = t.realised(part_qty, price * part_qty, fee, missing=gone)
        # A long's cash flow: sold at price, bought at entry; a short's the other way round.
        sign = 1 if side is Side.BUY else -1
        flow += sign * (price - entry) * part_qty
        fees += fee
        closed_qty += part_qty
        assert t.closed_qty == closed_qty and t.closed_qty + t.missing_qty <= t.qty and t.open_qty >= 0
        if closed_qty:
            assert t.pnl() == flow - fees  # exact: Decimal, no rounding anywhere on the way
    if t.open_qty == 0 and t.closed_qty:
        assert t.ended("stop_loss", 1).pnl() == flow - fees
