"""When the trader's trailing stop last saw its deal's best price: a restart reads the market's candles from there.

Revision ID: 0020_deal_best_seen
Revises: 0019_deal_trailing_stop
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_deal_best_seen"
down_revision: str | None = "0019_deal_trailing_stop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("best_ns", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("best_ns")
