"""Funding payments the spread trading engine counted, so a restart (or a poll reading one again) skips them.

Revision ID: 0016_spread_funding
Revises: 0015_trades
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_spread_funding"
down_revision: str | None = "0015_trades"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out


def upgrade() -> None:
    op.create_table(
        "spread_funding",
        sa.Column("funding_id", sa.String(80), primary_key=True),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("allocated", MONEY, nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_spread_funding_ts", "spread_funding", ["ts_ns"])


def downgrade() -> None:
    op.drop_index("ix_spread_funding_ts", table_name="spread_funding")
    op.drop_table("spread_funding")
