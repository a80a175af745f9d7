"""The ``orders`` table on the shared metadata: one row per order event (state or fill) of orders we sent."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, String, Table, Text, text

from tradewind.adapters.store.sqlalchemy.columns import ExactDecimal, Id
from tradewind.adapters.store.sqlalchemy.tables import metadata

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("client_order_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("side", String(4), nullable=True),
    Column("exchange_order_id", String(64), nullable=False),
    Column("state", String(20), nullable=True),
    Column("qty", ExactDecimal, nullable=True),
    Column("price", ExactDecimal, nullable=True),
    Column("filled_qty", ExactDecimal, nullable=False),
    Column("avg_price", ExactDecimal, nullable=True),
    Column("fee", ExactDecimal, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    Column("reject_reason", Text, nullable=True),
    Column("trade_id", String(64), nullable=False),
    Column("is_maker", Boolean, nullable=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Index("ix_orders_client_order_id_ts", "exchange", "client_order_id", "ts"),
    Index("ix_orders_ts", "ts"),
    # A fill is stored once however often it is reported (polled and pushed, several processes): see 0005.
    Index(
        "ux_orders_fill",
        "exchange",
        "trade_id",
        unique=True,
        postgresql_where=text("kind = 'fill'"),
        sqlite_where=text("kind = 'fill'"),
    ),
)
