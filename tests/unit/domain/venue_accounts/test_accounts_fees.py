from decimal import Decimal

import pytest

from tradewind.domain.values import Side
from tradewind.domain.venue_accounts import FeeRates, fmt, initial_margin, linear_fee, spot_settlement

D = Decimal


def test_spot_buy_pays_quote_and_is_charged_the_fee_in_base() -> None:
    s = spot_settlement(Side.BUY, D("0.001"), D("65000.1"), D("0.001"), base="BTC", quote="USDT")
    assert (s.pay_coin, s.pay_amount) == ("USDT", D("65.0001"))
    assert (s.receive_coin, s.receive_amount) == ("BTC", D("0.001"))
    assert (s.fee_coin, s.fee) == ("BTC", D("0.000001"))


def test_spot_sell_pays_base_and_is_charged_the_fee_in_quote() -> None:
    s = spot_settlement(Side.SELL, D("0.000011"), D("60000.3"), D("0.001"), base="BTC", quote="USDT")
    assert (s.pay_coin, s.pay_amount) == ("BTC", D("0.000011"))
    assert (s.receive_coin, s.receive_amount) == ("USDT", D("0.6600033"))
    assert s.fee == D("0.0006600033")  # exact: no rounding anywhere


def test_linear_fee_is_exact_on_the_notional() -> None:
    assert linear_fee(D("1234.5678"), D("0.00055")) == D("0.67901229")


def test_maker_rebate_is_a_negative_rate() -> None:
    assert FeeRates(D("-0.0001"), D("0.0006")).rate(is_maker=True) == D("-0.0001")


def test_initial_margin_rounds_up_to_the_eighth_decimal() -> None:
    assert initial_margin(D("100"), D("3")) == D("33.33333334")
    assert initial_margin(D("-100"), D("4")) == D("25")
    with pytest.raises(ValueError, match="leverage"):
        initial_margin(D("1"), D("0"))


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("1E-9"), "0.000000001"), (D("6E+4"), "60000"), (D("0.10"), "0.1"), (D("0E-7"), "0"), (D("-2.50"), "-2.5")],
)
def test_fmt_never_uses_exponents_or_trailing_zeros(value: D, text: str) -> None:
    assert fmt(value) == text
