"""TWAP jobs keep their instrument's tick size, so prices print at the tick without asking the exchange.

Revision ID: 0009_twap_tick_size
Revises: 0008_twap_order_tag_archived
Create Date: 2026-12-07

Jobs stored before have no tick size (NULL): their prices print as stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_twap_tick_size"
down_revision: str | None = "0008_twap_order_tag_archived"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0002, spelled out


def upgrade() -> None:
    with op.batch_alter_table("twap_jobs") as batch:
        batch.add_column(sa.Column("tick_size", MONEY, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("twap_jobs") as batch:
        batch.drop_column("tick_size")
