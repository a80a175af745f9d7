"""Prices at the tick, sizes at the lot step: one formatter, exact, never in exponent form."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradewind.interfaces.render.numbers import at_step, maybe_at_step

D = Decimal


def test_a_long_average_price_prints_at_the_tick_rounded_half_even() -> None:
    assert at_step(D("65261.95563966666666666666667"), D("0.1")) == "65262.0"
    assert at_step(D("65261.94563966666666666666667"), D("0.1")) == "65261.9"
    assert at_step(D("65261.95563966666666666666667"), D("0.01")) == "65261.96"


def test_a_size_keeps_the_lot_steps_decimals() -> None:
    assert at_step(D("0.3"), D("0.001")) == "0.300"
    assert at_step(D("0.300000"), D("0.001")) == "0.300"
    assert at_step(D("0.300000"), D("0.001000000000000000")) == "0.300"  # a step as PostgreSQL's NUMERIC returns it


def test_steps_of_whole_units_and_no_step_print_without_exponents() -> None:
    assert at_step(D("1E+2"), D("10")) == "100"
    assert at_step(D("1E+2"), None) == "100"
    assert at_step(D("0.300000"), None) == "0.3"
    assert at_step(D("1E+30"), D("0.000001")) == "1" + "0" * 30 + ".000000"  # wider than the 28-digit default
    assert maybe_at_step(None, D("0.1")) is None


steps = st.sampled_from([D("0.1"), D("0.01"), D("0.001"), D("0.000001"), D("0.5"), D("1"), D("10")])
values = st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=12)


@given(values, steps)
def test_the_text_is_the_value_within_half_a_decimal_of_the_step(value: Decimal, step: Decimal) -> None:
    text = at_step(value, step)
    assert "E" not in text and "e" not in text
    shown = D(text)
    places = min(step.normalize().as_tuple().exponent, 0)  # type: ignore[type-var]
    assert -shown.as_tuple().exponent == -places  # type: ignore[operator]
    assert abs(shown - value) <= D(1).scaleb(places) / 2
