"""Each trade object's own partial TP / SL orders on the exchange, and whether their fills closed it.

Revision ID: 0018_trade_protection_orders
Revises: 0017_deal_protection_orders
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_trade_protection_orders"
down_revision: str | None = "0017_deal_protection_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.add_column(sa.Column("tp_order_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("sl_order_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("closed_by_exchange", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.drop_column("closed_by_exchange")
        batch.drop_column("sl_order_id")
        batch.drop_column("tp_order_id")
