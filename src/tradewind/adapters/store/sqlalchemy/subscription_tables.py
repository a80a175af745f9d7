"""The ``md_subscriptions`` table on the shared metadata: market-data subscriptions made at run time."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, PrimaryKeyConstraint, String, Table

from tradewind.adapters.store.sqlalchemy.tables import metadata

md_subscriptions = Table(
    "md_subscriptions",
    metadata,
    Column("exchange", String(32), nullable=False),
    Column("category", String(16), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("matching_key", String(64), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("exchange", "category", "symbol", "matching_key", name="pk_md_subscriptions"),
)
