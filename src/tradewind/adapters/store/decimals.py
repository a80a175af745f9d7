"""Exact numbers and timestamps as both databases keep them: the pure half of the column types, without SQLAlchemy.

``columns.py`` (the SQLAlchemy column types) and the DB-API readers (``dbapi/``) both decode through these, so a
value read either way is the same Decimal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation

PRECISION = 38
SCALE = 18
_CTX = Context(prec=PRECISION + SCALE + 10)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO = Decimal(0)
_ONE = Decimal(1)


def canonical(value: Decimal) -> Decimal:
    """The same number without trailing fractional zeros, and no positive exponent ("1E+2" becomes 100)."""
    if value.is_zero():
        return _ZERO
    _sign, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and (exponent == 0 or (exponent < 0 and digits[-1] != 0)):
        return value  # already canonical: the common case, kept cheap
    normal = value.normalize(_CTX)
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        normal = normal.quantize(_ONE, context=_CTX)
    return normal


def stored_decimal(value: object) -> Decimal | None:
    """A decimal column's stored value (SQLite text, PostgreSQL NUMERIC) as its canonical Decimal; None stays None."""
    if value is None:
        return None
    try:
        return canonical(value if isinstance(value, Decimal) else Decimal(str(value)))
    except InvalidOperation:
        raise ValueError(f"stored decimal {value!r} is not a number") from None


def exact(value: object, what: str) -> Decimal:
    """``value`` if it is a finite Decimal that NUMERIC(38, 18) stores exactly; else an error naming ``what``."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{what}: expected Decimal, got {type(value).__name__} {value!r}")
    _sign, digits, exponent = value.as_tuple()
    if isinstance(exponent, int) and -SCALE <= exponent <= 0 and len(digits) + exponent <= PRECISION - SCALE:
        return value  # fits as written: the common case, kept cheap
    if not value.is_finite():
        raise ValueError(f"{what}: {value} is not a finite number")
    number = canonical(value)  # "1.50000000000000000000" has 20 places written but fits
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > SCALE:
        raise ValueError(f"{what}: {value} has {-exponent} decimal places, at most {SCALE} are stored exactly")
    if len(digits) + exponent > PRECISION - SCALE:
        raise ValueError(f"{what}: {value} has more than {PRECISION - SCALE} integer digits")
    return number


def exact_or_none(value: Decimal | None, what: str) -> Decimal | None:
    """``exact`` of a nullable column's value."""
    return None if value is None else exact(value, what)


def ns_to_datetime(ts_ns: int) -> datetime:
    """UTC datetime truncated to the microsecond (what both databases keep), computed without floats."""
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


def datetime_to_ns(value: datetime) -> int:
    """Inverse of :func:`ns_to_datetime` at microsecond resolution; naive values are taken as UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    delta = aware - _EPOCH
    return (delta.days * 86_400 * 1_000_000 + delta.seconds * 1_000_000 + delta.microseconds) * 1000
