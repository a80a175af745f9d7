"""The one number parser: every input either parses to an exact, finite, bounded number or raises NumberError naming
the field; nothing else escapes (no InvalidOperation, OverflowError or a silent truncation)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.numbers import DEFAULT_LIMITS, NumberError, NumberLimits, parse_decimal, parse_int

LIMITS = NumberLimits(max_magnitude=Decimal(10**12), max_digits=28, max_places=18)
NUMBER_TEXT = st.from_regex(r"\A[+-]?[0-9]{0,30}(\.[0-9]{0,30})?([eE][+-]?[0-9]{1,9})?\Z")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | NUMBER_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5,
)
ANY_INPUT = JSON_VALUES | st.decimals() | NUMBER_TEXT.map(lambda t: f" {t} ")


def _within(value: Decimal, limits: NumberLimits) -> bool:
    _, _digits, exponent = value.normalize().as_tuple() if value else (0, (0,), 0)
    assert isinstance(exponent, int)
    return value.is_finite() and abs(value) <= limits.max_magnitude and -exponent <= limits.max_places


@given(ANY_INPUT)
def test_any_input_is_a_bounded_finite_decimal_or_a_number_error(raw: Any) -> None:
    try:
        value = parse_decimal(raw, "qty", LIMITS)
    except NumberError as exc:
        assert str(exc).startswith("qty must be a number")
        assert len(str(exc)) < 300  # a 5,000-digit input is quoted shortened
        return
    assert isinstance(value, Decimal) and _within(value, LIMITS)
    assert not isinstance(raw, bool)


@given(ANY_INPUT, st.integers(-(10**6), 10**6), st.integers(0, 10**9))
def test_any_input_is_a_whole_number_in_range_or_a_number_error(raw: Any, low: int, span: int) -> None:
    high = low + span
    try:
        value = parse_int(raw, "runtime_s", low=low, high=high)
    except NumberError as exc:
        assert str(exc).startswith(f"runtime_s must be a whole number from {low} to {high}")
        return
    assert type(value) is int and low <= value <= high
    assert Decimal(str(raw).strip()) == value if not isinstance(raw, float) else raw == value  # never truncated


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=8, allow_nan=False))
def test_a_decimal_within_the_limits_reads_back_exactly_from_text_and_json(value: Decimal) -> None:
    assert parse_decimal(str(value), "qty") == value
    assert parse_decimal(json.loads(json.dumps(str(value))), "qty") == value


# From 0.1 up a float's shortest text (17 digits at most) has at most 17 places; smaller ones may need more than 18.
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda f: abs(f) >= 0.1 or f == 0))
def test_a_json_float_reads_as_its_shortest_text(number: float) -> None:
    assert parse_decimal(number, "qty") == Decimal(repr(number))


@pytest.mark.parametrize(
    "raw",
    ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "1e400000000", "\u0661", "1_0", "0x10", "", " ", "1e30",
     "1.0000000000000000001", True, False, None, float("nan"), float("inf"), 1e308, 10**13, Decimal("NaN"),
     Decimal("sNaN"), Decimal("Infinity"), [1], {"a": 1}, "9" * 5000],
)  # fmt: skip
def test_each_number_issues_18_and_19_found_is_refused(raw: object) -> None:
    with pytest.raises(NumberError, match=r"^quantity must be a number"):
        parse_decimal(raw, "quantity")


@pytest.mark.parametrize("raw", [2.7, "2.7", 60.7, True, "true", "Infinity", float("inf"), "1e400", "1_0", "\u0661"])
def test_a_whole_number_field_refuses_fractions_booleans_and_infinities(raw: object) -> None:
    with pytest.raises(NumberError, match=r"^slices must be a whole number"):
        parse_int(raw, "slices", low=1, high=10**6)


def test_whole_numbers_may_be_written_as_text_json_floats_or_exponents() -> None:
    assert [parse_int(v, "s", low=0, high=10**6) for v in (60, "60", 60.0, "6e1", " 60 ", "+60")] == [60] * 6


def test_exponents_and_trailing_zeros_read_as_plain_numbers() -> None:
    assert str(parse_decimal("1e3", "q")) == "1000"
    assert parse_decimal("1.50", "q") == Decimal("1.5")
    assert str(parse_decimal("-0", "q")) == "0"
    assert parse_decimal(Decimal("0.000000000000000001"), "q", DEFAULT_LIMITS) == Decimal("1e-18")


@pytest.mark.parametrize(
    ("limits", "raw"),
    [
        (NumberLimits(max_magnitude=Decimal(100)), "100.5"),
        (NumberLimits(max_digits=4), "1.2345"),
        (NumberLimits(max_places=2), "0.001"),
    ],
)
def test_the_configured_limits_are_the_ones_applied(limits: NumberLimits, raw: str) -> None:
    with pytest.raises(NumberError):
        parse_decimal(raw, "q", limits)


def test_limits_that_decimal_arithmetic_could_not_honour_are_refused() -> None:
    with pytest.raises(ValueError, match="max_digits"):
        NumberLimits(max_digits=40)
    with pytest.raises(ValueError, match="max_magnitude"):
        NumberLimits(max_magnitude=Decimal("Infinity"))
