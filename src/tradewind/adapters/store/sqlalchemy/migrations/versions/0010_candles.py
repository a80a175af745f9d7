"""Candles built from the trade stream (and the exchanges' kline history): one row per market, interval and start.

Revision ID: 0010_candles
Revises: 0009_twap_tick_size
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_candles"
down_revision: str | None = "0009_twap_tick_size"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "market_candles",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("matching_key", sa.String(64), nullable=False, server_default=""),
        sa.Column("interval", sa.Integer(), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in ("open", "high", "low", "close", "volume", "turnover")),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_market_candles"),
        sa.UniqueConstraint("exchange", "category", "symbol", "interval", "ts", name="uq_market_candles_instrument_ts"),
    )


def downgrade() -> None:
    op.drop_table("market_candles")
