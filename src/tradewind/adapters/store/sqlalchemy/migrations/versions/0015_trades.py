"""Trade objects of the command language (``buy``/``sell``/``close``), surviving a restart.

Revision ID: 0015_trades
Revises: 0014_compact_books
Create Date: 2026-12-07

``ux_trades_key``: one trade per command key, so a redelivered command never opens a second trade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0015_trades"
down_revision: str | None = "0014_compact_books"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "trades",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("risk", JSON, nullable=False),
        sa.Column("entry_price", MONEY, nullable=True),
        sa.Column("best_price", MONEY, nullable=True),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("protected_on_exchange", sa.Boolean(), nullable=False),
        sa.Column("closed_ns", sa.BigInteger(), nullable=True),
        sa.Column("close_price", MONEY, nullable=True),
        sa.Column("close_fee", MONEY, nullable=False),
        sa.Column("close_reason", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trades"),
    )
    op.create_index("ux_trades_key", "trades", ["key"], unique=True)
    op.create_index("ix_trades_status", "trades", ["status"])


def downgrade() -> None:
    op.drop_index("ix_trades_status", table_name="trades")
    op.drop_index("ux_trades_key", table_name="trades")
    op.drop_table("trades")
