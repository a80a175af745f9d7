"""Column types that keep money exact and timestamps queryable on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from tradewind.adapters.store.decimals import (
    PRECISION,
    SCALE,
    canonical,
    datetime_to_ns,
    exact,
    exact_or_none,
    ns_to_datetime,
    stored_decimal,
)

__all__ = [  # the pure functions live in decimals.py (no SQLAlchemy); re-exported for the modules importing them here
    "PRECISION", "SCALE", "ExactDecimal", "Id", "Json", "LevelPairs", "Levels", "canonical", "datetime_to_ns", "exact",
    "exact_or_none", "levels_literal", "ns_to_datetime",
]  # fmt: skip

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


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
        return stored_decimal(value)


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
