"""Order events of the orders Tradewind sends (``recorder.dump_orders_to_db``).

Revision ID: 0004_orders
Revises: 0003_apscheduler_jobs
Create Date: 2026-01-04

Types are spelled out here rather than imported, so this revision keeps meaning what it meant.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_orders"
down_revision: str | None = "0003_apscheduler_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("side", sa.String(4), nullable=True),
        sa.Column("exchange_order_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=True),
        sa.Column("qty", MONEY, nullable=True),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("avg_price", MONEY, nullable=True),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("is_maker", sa.Boolean(), nullable=True),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_client_order_id_ts", "orders", ["exchange", "client_order_id", "ts"])
    op.create_index("ix_orders_ts", "orders", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_orders_ts", table_name="orders")
    op.drop_index("ix_orders_client_order_id_ts", table_name="orders")
    op.drop_table("orders")
