"""Binance's number format (exact, padded to 8 decimals) and aggregate trades."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.application.venue.tape import PublicTrade
from tradewind.domain.values import Side
from tradewind.interfaces.sim_exchange.binance_spot.render import agg_trades, fmt8


def test_fmt8_pads_to_eight_decimals() -> None:
    assert fmt8(Decimal("0.001")) == "0.00100000"
    assert fmt8(Decimal("60000")) == "60000.00000000"
    assert fmt8(Decimal(0)) == "0.00000000"
    assert fmt8(Decimal("1E+3")) == "1000.00000000"
    assert fmt8(Decimal("-0.5")) == "-0.50000000"


def test_fmt8_keeps_digits_beyond_eight_rather_than_rounding() -> None:
    assert fmt8(Decimal("0.000000011")) == "0.000000011"


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=12))
def test_fmt8_is_exact_and_plain(value: Decimal) -> None:
    text = fmt8(value)
    assert Decimal(text) == value
    assert "E" not in text.upper()
    assert len(text.partition(".")[2]) >= 8


def _trade(trade_id: int, price: str, qty: str, seq: int, side: Side = Side.BUY) -> PublicTrade:
    return PublicTrade(trade_id, f"t{trade_id}", Decimal(price), Decimal(qty), side, 1000 + trade_id, seq)


def test_aggregate_trades_merge_fills_of_one_taker_at_one_price() -> None:
    rows = agg_trades(
        [
            _trade(1, "100", "0.1", seq=5),
            _trade(2, "100", "0.2", seq=5),
            _trade(3, "101", "0.3", seq=5),
            _trade(4, "101", "0.4", seq=6, side=Side.SELL),
        ]
    )
    assert [(r["a"], r["p"], r["q"], r["f"], r["l"], r["m"]) for r in rows] == [
        (1, "100.00000000", "0.30000000", 1, 2, False),
        (3, "101.00000000", "0.30000000", 3, 3, False),
        (4, "101.00000000", "0.40000000", 4, 4, True),
    ]
