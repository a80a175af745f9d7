"""Bybit's perpetual formulas, hand-computed: premium, funding rate clamp and cap, payment, liquidation prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.venue_accounts.perp import (
    FundingParams,
    bankruptcy_price,
    funding_payment,
    funding_rate,
    liquidation_price,
    mark_price,
    next_funding_ms,
    premium_index,
)

D = Decimal
P = FundingParams()


@pytest.mark.parametrize(
    ("premium", "rate"),
    [
        ("0", "0.0001"),  # no premium: the interest rate
        ("0.0004", "0.0001"),  # |I - P| within 0.05 %: still the interest rate
        ("0.001", "0.0005"),  # P - 0.05 %
        ("-0.001", "-0.0005"),  # P + 0.05 %
        ("0.01", "0.00375"),  # capped
        ("-0.01", "-0.00375"),
    ],
)
def test_the_funding_rate_is_the_premium_with_the_interest_clamp_and_the_cap(premium: str, rate: str) -> None:
    assert funding_rate(D(premium), P) == D(rate)


def test_the_premium_counts_only_an_impact_price_across_the_index() -> None:
    assert premium_index(D("60060"), D("60080"), D("60000")) == D("0.001")
    assert premium_index(D("59940"), D("59970"), D("60000")) == D("-0.0005")
    assert premium_index(D("59990"), D("60010"), D("60000")) == 0


def test_payment_liquidation_and_bankruptcy_prices() -> None:
    assert funding_payment(D("0.5"), D("60000"), D("0.0005")) == D("15")  # a long pays
    assert funding_payment(D("-0.3"), D("60000"), D("0.0005")) == D("-9")  # a short receives
    tick = D("0.1")
    assert liquidation_price(D("60000"), True, D("10"), D("0.005"), tick) == D("54300")
    assert liquidation_price(D("60000"), False, D("10"), D("0.005"), tick) == D("65700")
    assert liquidation_price(D("60000.05"), True, D("3"), D("0.005"), tick) == D("40300.1")  # rounded up
    assert bankruptcy_price(D("60000"), True, D("10")) == D("54000")
    assert bankruptcy_price(D("60000"), False, D("10")) == D("66000")
    assert next_funding_ms(0, P.interval_ms) == P.interval_ms
    assert next_funding_ms(P.interval_ms, P.interval_ms) == 2 * P.interval_ms


@given(
    st.decimals(min_value=-1, max_value=1, places=6),
)
def test_the_rate_never_leaves_the_cap(premium: Decimal) -> None:
    assert -P.cap <= funding_rate(premium, P) <= P.cap


@given(
    st.decimals(min_value=1000, max_value=100_000, places=1),
    st.decimals(min_value=-500, max_value=500, places=1),
    st.decimals(min_value=1000, max_value=100_000, places=1),
)
def test_the_mark_is_one_of_its_three_candidates_in_the_middle(index: Decimal, basis: Decimal, last: Decimal) -> None:
    mark = mark_price(index, D("0.0001"), ms_to_funding=0, interval_ms=P.interval_ms, basis=basis, last=last)
    assert mark == sorted((index, index + basis, last))[1]
