"""TWAP tables on the shared metadata: jobs, their slices (one row per order attempt) and fills."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Json
from tradewind.adapters.store.sqlalchemy.tables import metadata

twap_jobs = Table(
    "twap_jobs",
    metadata,
    Column("job_id", String(16), primary_key=True),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("spec", Json, nullable=False),
    Column("total_qty", ExactDecimal, nullable=False),
    Column("qty_step", ExactDecimal, nullable=False),
    Column("plan", Json, nullable=False),
    Column("offsets_ns", Json, nullable=False),
    Column("start_ns", BigInteger, nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("next_index", Integer, nullable=False),
    Column("dispatched", Integer, nullable=False),
    Column("filled_qty", ExactDecimal, nullable=False),
    Column("arrival_price", ExactDecimal, nullable=True),
    Column("reason", Text, nullable=False),
    Column("paused_ns", BigInteger, nullable=True),
    Column("end_ns", BigInteger, nullable=True),
    Column("order_tag", String(8), nullable=False, server_default=""),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("tick_size", ExactDecimal, nullable=True),
)

twap_slices = Table(
    "twap_slices",
    metadata,
    Column("job_id", String(16), ForeignKey("twap_jobs.job_id", ondelete="CASCADE"), nullable=False),
    Column("slice_index", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("client_order_id", String(36), nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("target_qty", ExactDecimal, nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("price", ExactDecimal, nullable=True),
    Column("tif", String(16), nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("filled_qty", ExactDecimal, nullable=False),
    Column("avg_price", ExactDecimal, nullable=True),
    Column("fee", ExactDecimal, nullable=False),
    Column("market_price", ExactDecimal, nullable=True),
    Column("note", Text, nullable=False),
    PrimaryKeyConstraint("job_id", "slice_index", "attempt", name="pk_twap_slices"),
)

twap_fills = Table(
    "twap_fills",
    metadata,
    Column("job_id", String(16), ForeignKey("twap_jobs.job_id", ondelete="CASCADE"), nullable=False),
    Column("trade_id", String(64), nullable=False),
    Column("slice_index", Integer, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("fee", ExactDecimal, nullable=False),
    PrimaryKeyConstraint("job_id", "trade_id", name="pk_twap_fills"),
)
