"""The trader's trailing stop on each deal: the best price since entry (so a restart keeps the ratchet) and its hit.

Revision ID: 0019_deal_trailing_stop
Revises: 0018_trade_protection_orders
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_deal_trailing_stop"
down_revision: str | None = "0018_trade_protection_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("best_price", MONEY, nullable=True))
        batch.add_column(sa.Column("trailing_stop_hit", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("trailing_stop_hit")
        batch.drop_column("best_price")
