"""Deals of the position manager (signal trading), with "one open position per symbol and source" as an index.

Revision ID: 0013_deals
Revises: 0012_spreads
Create Date: 2026-12-07

The partial unique index ``ux_deals_open_position`` covers the BUY rows that hold a position (pending, open,
closing): a second one for the same exchange, category, symbol and source is refused by the database itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_deals"
down_revision: str | None = "0012_spreads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN_POSITION = sa.text("action = 'BUY' AND status IN ('pending', 'open', 'closing')")


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("client_order_id", sa.String(36), nullable=False),
        sa.Column("exchange_order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_quote", MONEY, nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("take_profit", MONEY, nullable=True),
        sa.Column("stop_loss", MONEY, nullable=True),
        sa.Column("take_profit_hit", sa.Boolean(), nullable=False),
        sa.Column("stop_loss_hit", sa.Boolean(), nullable=False),
        sa.Column("manually_closed", sa.Boolean(), nullable=False),
        sa.Column("protection", sa.String(16), nullable=False),
        sa.Column("closed_ns", sa.BigInteger(), nullable=True),
        sa.Column("close_price", MONEY, nullable=True),
        sa.Column("close_fee", MONEY, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
    )
    op.create_index("ux_deals_client_order_id", "deals", ["exchange", "client_order_id"], unique=True)
    op.create_index("ix_deals_source_symbol", "deals", ["source", "symbol", "created_ns"])
    op.create_index(
        "ux_deals_open_position", "deals", ["exchange", "category", "symbol", "source"], unique=True,
        postgresql_where=OPEN_POSITION, sqlite_where=OPEN_POSITION,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ux_deals_open_position", table_name="deals")
    op.drop_index("ix_deals_source_symbol", table_name="deals")
    op.drop_index("ux_deals_client_order_id", table_name="deals")
    op.drop_table("deals")
