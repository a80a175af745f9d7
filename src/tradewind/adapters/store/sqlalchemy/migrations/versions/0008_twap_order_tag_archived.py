"""TWAP jobs get an order tag (in their client order ids) and an archived flag.

Revision ID: 0008_twap_order_tag_archived
Revises: 0007_unique_mids
Create Date: 2026-12-07

A job id reused on a second database made client order ids an earlier job had used, so the new job took over its
orders; each job now carries a random tag in its ids. Jobs stored before keep an empty tag, and with it the ids
their sent slices already have. Archived jobs are hidden from lists but kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_twap_order_tag_archived"
down_revision: str | None = "0007_unique_mids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("twap_jobs") as batch:
        batch.add_column(sa.Column("order_tag", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("twap_jobs") as batch:
        batch.drop_column("archived")
        batch.drop_column("order_tag")
