"""The signed net size of a symbol's positions and what is held on each side of it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.orders import PositionSnapshot, held_on, net_size
from tradewind.domain.values import Category, Side

D = Decimal
sizes = st.decimals(min_value=-1000, max_value=1000, places=3)


def _position(symbol: str, size: Decimal) -> PositionSnapshot:
    return PositionSnapshot(symbol, Category.LINEAR, size, D(100))


@given(st.lists(st.tuples(st.sampled_from(["BTCUSDT", "ETHUSDT"]), sizes), max_size=4))
def test_a_side_holds_its_part_of_the_net_never_below_zero_and_never_both(rows: list[tuple[str, Decimal]]) -> None:
    positions = [_position(symbol, size) for symbol, size in rows]
    net = net_size(positions, "BTCUSDT")
    assert net == sum((size for symbol, size in rows if symbol == "BTCUSDT"), D(0))
    long, short = held_on(positions, "BTCUSDT", Side.BUY), held_on(positions, "BTCUSDT", Side.SELL)
    assert long - short == net and min(long, short) == 0


def test_a_short_position_is_held_on_the_sell_side_only() -> None:
    positions = [_position("BTCUSDT", D("-0.016")), _position("ETHUSDT", D(2))]
    assert (held_on(positions, "BTCUSDT", Side.SELL), held_on(positions, "BTCUSDT", Side.BUY)) == (D("0.016"), 0)
    assert held_on([], "BTCUSDT", Side.SELL) == 0
