"""The ``deals`` table on the shared metadata: the position manager's orders and the positions they opened."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, String, Table, Text, false, text

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Id
from tradewind.adapters.store.sqlalchemy.tables import metadata

# The condition of "one open position per symbol and source": a BUY that holds its place (see domain HOLDING).
OPEN_POSITION = "action = 'BUY' AND status IN ('pending', 'open', 'closing')"

deals = Table(
    "deals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_ns", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("signal_id", String(64), nullable=False),
    Column("action", String(8), nullable=False),
    Column("client_order_id", String(36), nullable=False),
    Column("exchange_order_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_quote", ExactDecimal, nullable=False),
    Column("qty", ExactDecimal, nullable=False),
    Column("price", ExactDecimal, nullable=True),
    Column("fee", ExactDecimal, nullable=False),
    Column("take_profit", ExactDecimal, nullable=True),
    Column("stop_loss", ExactDecimal, nullable=True),
    Column("take_profit_hit", Boolean, nullable=False),
    Column("stop_loss_hit", Boolean, nullable=False),
    Column("manually_closed", Boolean, nullable=False),
    Column("protection", String(16), nullable=False),
    Column("closed_ns", BigInteger, nullable=True),
    Column("close_price", ExactDecimal, nullable=True),
    Column("close_fee", ExactDecimal, nullable=False),
    Column("note", Text, nullable=False),
    Column("tp_order_id", String(64), nullable=False, server_default=""),  # 0017: the deal's partial TP / SL orders
    Column("sl_order_id", String(64), nullable=False, server_default=""),
    Column("best_price", ExactDecimal, nullable=True),  # 0019: the trader's trailing stop, only ever raised
    Column("trailing_stop_hit", Boolean, nullable=False, server_default=false()),
    Column("best_ns", BigInteger, nullable=True),  # 0020: when the best price was seen (a restart reads on from it)
    Index("ux_deals_client_order_id", "exchange", "client_order_id", unique=True),
    Index("ix_deals_source_symbol", "source", "symbol", "created_ns"),
    # One open position per symbol and source, kept by the database even if a code check is bypassed: see 0011.
    Index(
        "ux_deals_open_position",
        "exchange",
        "category",
        "symbol",
        "source",
        unique=True,
        postgresql_where=text(OPEN_POSITION),
        sqlite_where=text(OPEN_POSITION),
    ),
)
