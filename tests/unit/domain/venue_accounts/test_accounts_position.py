from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.values import Side
from tradewind.domain.venue_accounts import LinearPosition, PositionRuleError, Protection, StopKind

D = Decimal


def test_increase_keeps_the_exact_cost_basis_and_average() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.1"), D("60000"))
    pos.apply_fill(Side.BUY, D("0.2"), D("60300"))
    assert pos.size == D("0.3")
    assert pos.entry_value == D("18060")
    assert pos.avg_price == D("60200")
    assert pos.initial_margin() == D("1806")


def test_partial_close_realises_pnl_on_the_average_entry() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.2"), D("60000"))
    outcome = pos.apply_fill(Side.SELL, D("0.05"), D("61000"))
    assert outcome.closed_qty == D("0.05")
    assert outcome.realised_pnl == D("50")
    assert pos.size == D("0.15")
    assert pos.entry_value == D("9000")


def test_fill_larger_than_a_short_closes_it_and_opens_a_long() -> None:
    pos = LinearPosition("ETHUSDT", D(5))
    pos.apply_fill(Side.SELL, D("1"), D("3000"))
    pos.set_protection(Protection(take_profit=D("2900")), last_price=D("3000"))
    outcome = pos.apply_fill(Side.BUY, D("1.5"), D("2950"))
    assert outcome.realised_pnl == D("50")
    assert pos.side is Side.BUY
    assert pos.size == D("0.5")
    assert pos.entry_value == D("1475")
    assert pos.protection == Protection()  # the short's take-profit does not carry over


def test_fees_reduce_cumulative_realised_pnl() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.1"), D("60000"))
    pos.charge_fee(D("3.3"))
    assert pos.cum_realised_pnl == D("-3.3")


def test_unrealised_pnl_of_a_short_gains_when_the_price_falls() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.SELL, D("0.2"), D("60000"))
    assert pos.unrealised_pnl(D("59000")) == D("200")


def test_take_profit_on_the_wrong_side_of_the_price_is_refused() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.1"), D("60000"))
    with pytest.raises(PositionRuleError, match="TakeProfit"):
        pos.set_protection(Protection(take_profit=D("59000")), last_price=D("60000"))
    assert pos.protection == Protection()


def test_protection_on_a_flat_position_is_refused() -> None:
    with pytest.raises(PositionRuleError, match="zero position"):
        LinearPosition("BTCUSDT", D(10)).set_protection(Protection(stop_loss=D("1")), last_price=None)


def test_long_stop_loss_and_take_profit_fire_at_their_prices() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.1"), D("60000"))
    pos.set_protection(Protection(take_profit=D("61000"), stop_loss=D("59000")), last_price=D("60000"))
    assert pos.trigger(D("60999.9")) is None
    assert pos.trigger(D("61000")) is StopKind.TAKE_PROFIT
    assert pos.trigger(D("59000")) is StopKind.STOP_LOSS


def test_trailing_stop_follows_the_high_and_fires_on_the_pullback() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.BUY, D("0.1"), D("60000"))
    pos.set_protection(Protection(trailing_stop=D("100"), active_price=D("60200")), last_price=D("60000"))
    assert pos.trigger(D("59000")) is None  # not active yet: the price never reached 60200
    assert pos.trigger(D("60200")) is None
    assert pos.trigger(D("60500")) is None
    assert pos.trailing_trigger_price() == D("60400")
    assert pos.trigger(D("60401")) is None
    assert pos.trigger(D("60400")) is StopKind.TRAILING_STOP


def test_short_trailing_stop_follows_the_low() -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    pos.apply_fill(Side.SELL, D("0.1"), D("60000"))
    pos.set_protection(Protection(trailing_stop=D("50")), last_price=D("60000"))
    assert pos.trigger(D("59800")) is None
    assert pos.trigger(D("59849.9")) is None
    assert pos.trigger(D("59850")) is StopKind.TRAILING_STOP


fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=5000),  # lots of 0.001
        st.integers(min_value=1, max_value=900_000),  # ticks of 0.1
    ),
    min_size=1,
    max_size=30,
)


@given(fills)
def test_a_round_trip_to_flat_realises_exactly_proceeds_minus_cost(trades: list[tuple[Side, int, int]]) -> None:
    pos = LinearPosition("BTCUSDT", D(10))
    cash = D(0)
    realised = D(0)
    for side, lots, ticks in trades:
        qty, price = D(lots) * D("0.001"), D(ticks) * D("0.1")
        realised += pos.apply_fill(side, qty, price).realised_pnl
        cash += -side.sign * qty * price
    if pos.size:  # close at the last price so that the position ends flat
        last = D(trades[-1][2]) * D("0.1")
        side = Side.SELL if pos.size > 0 else Side.BUY
        qty = abs(pos.size)
        realised += pos.apply_fill(side, qty, last).realised_pnl
        cash += -side.sign * qty * last
    assert pos.size == 0
    assert pos.entry_value == 0
    assert realised == cash
    assert pos.cum_realised_pnl == cash
