"""Column types that keep money exact and timestamps queryable on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

PRECISION = 38
SCALE = 18
_CTX = Context(prec=PRECISION + SCALE + 10)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO = Decimal(0)
_ONE = Decimal(1)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


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


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(38, 18) on PostgreSQL; text on SQLite, whose NUMERIC affinity would turn values into floats."""

    impl = Numeric(PRECISION, SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(PRECISION + 2))
        return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = exact(value, "decimal column")
        return format(number, "f") if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return canonical(value if isinstance(value, Decimal) else Decimal(str(value)))
        except InvalidOperation:
            raise ValueError(f"stored decimal {value!r} is not a number") from None


LevelPairs = Sequence[tuple[Decimal, Decimal]]


class Levels(TypeDecorator[LevelPairs]):
    """Book levels, best first, exact and readable from SQL.

    PostgreSQL: ``NUMERIC[][]`` of [price, qty] pairs (unconstrained numeric: nothing is rounded; ``bids[1][1]`` is
    the best bid). SQLite: JSON ``[["price", "qty"], ...]`` of decimal strings (``json_each`` reads it).
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Numeric(asdecimal=True), dimensions=2))
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: LevelPairs | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return [[p, q] for p, q in value]
        return [[format(p, "f"), format(q, "f")] for p, q in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> LevelPairs | None:
        if value is None:
            return None
        return [(canonical(Decimal(p)), canonical(Decimal(q))) for p, q in value]


def levels_literal(levels: LevelPairs) -> str:
    """PostgreSQL's text form of ``levels`` as a 2-D numeric array, for COPY: ``{{65000.5,1.25},{65000,3}}``."""
    return "{" + ",".join([f"{{{p},{q}}}" for p, q in levels]) + "}"


def ns_to_datetime(ts_ns: int) -> datetime:
    """UTC datetime truncated to the microsecond (what both databases keep), computed without floats."""
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


def datetime_to_ns(value: datetime) -> int:
    """Inverse of :func:`ns_to_datetime` at microsecond resolution; naive values are taken as UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    delta = aware - _EPOCH
    return (delta.days * 86_400 * 1_000_000 + delta.seconds * 1_000_000 + delta.microseconds) * 1000
