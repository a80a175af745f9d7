"""The ``trades`` table on the shared metadata: the trade objects of the ``buy``/``sell`` commands."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, String, Table, Text, false

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Id, Json
from tradewind.adapters.store.sqlalchemy.tables import metadata

trades = Table(
    "trades",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("status", String(16), nullable=False),
    Column("risk", Json, nullable=False),  # strategy name -> parameter as a decimal string
    Column("entry_price", ExactDecimal, nullable=True),
    Column("best_price", ExactDecimal, nullable=True),
    Column("fee", ExactDecimal, nullable=False),
    Column("protected_on_exchange", Boolean, nullable=False),
    Column("closed_ns", BigInteger, nullable=True),
    Column("close_price", ExactDecimal, nullable=True),
    Column("close_fee", ExactDecimal, nullable=False),
    Column("close_reason", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("tp_order_id", String(64), nullable=False, server_default=""),  # 0018: the trade's partial TP / SL orders
    Column("sl_order_id", String(64), nullable=False, server_default=""),
    Column("closed_by_exchange", Boolean, nullable=False, server_default=false()),
    # 0020: a trade closed in parts (its pair filled less than its qty): what its own fills closed, their exact value,
    # and what went without a fill of its own.
    Column("closed_qty", ExactDecimal, nullable=False, server_default="0"),
    Column("close_value", ExactDecimal, nullable=False, server_default="0"),
    Column("missing_qty", ExactDecimal, nullable=False, server_default="0"),
    Index("ux_trades_key", "key", unique=True),
    Index("ix_trades_status", "status"),
)
