"""Exact decimal and timestamp conversions used by every SQL column."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.adapters.store.sqlalchemy.columns import canonical, datetime_to_ns, exact, ns_to_datetime

WIDE = Context(prec=80)
storable = st.builds(
    lambda n, places: Decimal(n).scaleb(-places, WIDE),
    st.integers(-(10**20) + 1, 10**20 - 1),
    st.integers(0, 18),
)


@given(storable, st.integers(0, 10))
def test_every_storable_decimal_passes_with_its_value_whatever_its_trailing_zeros(value: Decimal, zeros: int) -> None:
    text = format(value, "f")
    padded = Decimal(text + ("" if "." in text else ".") + "0" * zeros)

    out = exact(padded, "price")

    assert out == value
    assert canonical(padded).as_tuple() == canonical(value).as_tuple()  # one representation per value
    exponent = canonical(padded).as_tuple().exponent
    assert isinstance(exponent, int) and exponent <= 0


@pytest.mark.parametrize(
    ("raw", "canon"),
    [("1E+2", "100"), ("65000.500000", "65000.5"), ("-0.000", "0"), ("0.10", "0.1"), ("7", "7")],
)
def test_canonical_strips_fraction_zeros_and_never_uses_exponents(raw: str, canon: str) -> None:
    assert str(canonical(Decimal(raw))) == canon


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0.1, TypeError, "price: expected Decimal, got float"),
        (1, TypeError, "expected Decimal, got int"),
        (Decimal("Infinity"), ValueError, "not a finite number"),
        (Decimal("1e-19"), ValueError, "19 decimal places"),
        (Decimal("1e20"), ValueError, "more than 20 integer digits"),
    ],
)
def test_values_numeric_38_18_cannot_hold_are_refused_by_name(value: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        exact(value, "price")


@given(st.integers(0, 2**63 - 1))
def test_timestamp_column_is_the_nanosecond_time_floored_to_the_microsecond(ts_ns: int) -> None:
    as_dt = ns_to_datetime(ts_ns)
    assert as_dt.tzinfo is UTC
    assert datetime_to_ns(as_dt) == ts_ns - ts_ns % 1000


def test_naive_datetimes_are_read_as_utc() -> None:
    assert datetime_to_ns(datetime(1970, 1, 1, 0, 0, 1)) == 10**9
