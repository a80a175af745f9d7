"""Market-data subscriptions made at run time (``POST /subscribe``, ``tradewind md subscribe``), resumed at start.

Revision ID: 0006_md_subscriptions
Revises: 0005_unique_fills
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_md_subscriptions"
down_revision: str | None = "0005_unique_fills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "md_subscriptions",
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("matching_key", sa.String(64), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("exchange", "category", "symbol", "matching_key", name="pk_md_subscriptions"),
    )


def downgrade() -> None:
    op.drop_table("md_subscriptions")
