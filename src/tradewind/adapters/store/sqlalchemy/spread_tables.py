"""The spread workflow's tables on the shared metadata: spreads, the answered requests, their legs, funding counted."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Json
from tradewind.adapters.store.sqlalchemy.tables import metadata

spreads = Table(
    "spreads",
    metadata,
    Column("spread_id", String(40), primary_key=True),
    Column("matching_key", String(64), nullable=False),
    Column("long_exchange", String(32), nullable=False),
    Column("long_category", String(16), nullable=False),
    Column("long_symbol", String(64), nullable=False),
    Column("short_exchange", String(32), nullable=False),
    Column("short_category", String(16), nullable=False),
    Column("short_symbol", String(64), nullable=False),
    Column("state", String(10), nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("long_cost", ExactDecimal, nullable=False),
    Column("short_proceeds", ExactDecimal, nullable=False),
    Column("realised", ExactDecimal, nullable=False),
    Column("fees", ExactDecimal, nullable=False),
    Column("funding", ExactDecimal, nullable=False),
    Column("traded_qty", ExactDecimal, nullable=False),
    Column("opened_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
    Column("closed_ns", BigInteger, nullable=True),
    Index("ix_spreads_state", "state"),
    Index("ix_spreads_opened", "opened_ns"),
)

spread_requests = Table(
    "spread_requests",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("spread_id", String(40), nullable=False),
    Column("action", String(8), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("reply", Json, nullable=False),  # the answer as sent: a repeated request id gets it again
    Column("request", Json, nullable=True),  # the order itself, saved before its first leg (verdict "pending")
    Index("ix_spread_requests_spread", "spread_id"),
)

spread_legs = Table(
    "spread_legs",
    metadata,
    Column("request_id", String(40), nullable=False),
    Column("leg", Integer, nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("filled_qty", ExactDecimal, nullable=False),
    Column("price", ExactDecimal, nullable=True),
    Column("fee", ExactDecimal, nullable=False),
    Column("status", String(12), nullable=False),
    Column("client_order_id", String(64), nullable=False),
    Column("unwound_qty", ExactDecimal, nullable=False),
    Column("unwind_price", ExactDecimal, nullable=True),
    Column("detail", Text, nullable=False),
    PrimaryKeyConstraint("request_id", "leg", name="pk_spread_legs"),
)

spread_funding = Table(  # each funding payment counted once: a restart (or a poll reading it again) skips it
    "spread_funding",
    metadata,
    Column("funding_id", String(80), primary_key=True),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("allocated", ExactDecimal, nullable=False),  # the part shared among spreads (0: none held it)
    Column("ts_ns", BigInteger, nullable=False),
    Index("ix_spread_funding_ts", "ts_ns"),
)
