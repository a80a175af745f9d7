"""Trade objects closed in parts.

The quantity its own fills closed, their exact value, and the quantity missing (gone from the exchange's position
without a fill of the trade's). Closed trades before this are filled in whole.

Revision ID: 0021_trade_partial_close
Revises: 0020_deal_best_seen
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0021_trade_partial_close"
down_revision: str | None = "0020_deal_best_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0001, spelled out


def upgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.add_column(sa.Column("closed_qty", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("close_value", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("missing_qty", MONEY, nullable=False, server_default="0"))
    # A trade closed before was closed whole at its close price: its value computed here in Decimal (SQLite keeps
    # these columns as text, where SQL arithmetic would go through floats).
    conn = op.get_bind()
    trades = sa.table(
        "trades", sa.column("id"), sa.column("qty", MONEY), sa.column("close_price", MONEY),
        sa.column("status"), sa.column("closed_qty", MONEY), sa.column("close_value", MONEY),
    )  # fmt: skip
    rows = conn.execute(
        sa.select(trades.c.id, trades.c.qty, trades.c.close_price).where(
            trades.c.status == "closed", trades.c.close_price.is_not(None)
        )
    ).all()
    as_text = conn.dialect.name == "sqlite"
    for row in rows:
        qty, price = Decimal(str(row.qty)), Decimal(str(row.close_price))
        values = (qty, price * qty)
        closed_qty, close_value = (str(v) for v in values) if as_text else values
        conn.execute(
            sa.update(trades).where(trades.c.id == row.id).values(closed_qty=closed_qty, close_value=close_value)
        )


def downgrade() -> None:
    with op.batch_alter_table("trades") as batch:
        batch.drop_column("missing_qty")
        batch.drop_column("close_value")
        batch.drop_column("closed_qty")
