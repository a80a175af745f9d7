"""Each deal's own partial TP / SL orders on the exchange, so a close by one of them is told apart per deal.

Revision ID: 0017_deal_protection_orders
Revises: 0016_spread_funding
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_deal_protection_orders"
down_revision: str | None = "0016_spread_funding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("tp_order_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("sl_order_id", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("sl_order_id")
        batch.drop_column("tp_order_id")
