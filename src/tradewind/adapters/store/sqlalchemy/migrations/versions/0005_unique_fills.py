"""A fill is one row in ``orders``: a unique index on (exchange, trade_id) for fill events.

Revision ID: 0005_unique_fills
Revises: 0004_orders
Create Date: 2026-11-25

Fills reach the recorder from polling and from the private order stream, possibly from several processes; the
repository inserts with ON CONFLICT DO NOTHING against this index. Repeats already stored are removed first (the
earliest row of each fill is kept).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_unique_fills"
down_revision: str | None = "0004_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLS = sa.text("kind = 'fill'")


def upgrade() -> None:
    op.execute(
        "DELETE FROM orders WHERE kind = 'fill' AND id NOT IN "
        "(SELECT keep FROM (SELECT MIN(id) AS keep FROM orders WHERE kind = 'fill' GROUP BY exchange, trade_id) k)"
    )
    op.create_index(
        "ux_orders_fill", "orders", ["exchange", "trade_id"], unique=True, postgresql_where=FILLS, sqlite_where=FILLS
    )


def downgrade() -> None:
    op.drop_index("ux_orders_fill", table_name="orders")
