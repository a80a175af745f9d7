"""TWAP jobs, their slices and fills.

Revision ID: 0002_twap
Revises: 0001
Create Date: 2026-01-02

Types are spelled out here rather than imported, so this revision keeps meaning what it meant.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_twap"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "twap_jobs",
        sa.Column("job_id", sa.String(16), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("total_qty", MONEY, nullable=False),
        sa.Column("qty_step", MONEY, nullable=False),
        sa.Column("plan", JSON, nullable=False),
        sa.Column("offsets_ns", JSON, nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("dispatched", sa.Integer(), nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("arrival_price", MONEY, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_ns", sa.BigInteger(), nullable=True),
        sa.Column("end_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name="pk_twap_jobs"),
    )
    op.create_index("ix_twap_jobs_status", "twap_jobs", ["status"])
    op.create_table(
        "twap_slices",
        sa.Column("job_id", sa.String(16), nullable=False),
        sa.Column("slice_index", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target_qty", MONEY, nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("tif", sa.String(16), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("avg_price", MONEY, nullable=True),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("market_price", MONEY, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["twap_jobs.job_id"], name="fk_twap_slices_job_id_twap_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "slice_index", "attempt", name="pk_twap_slices"),
        sa.UniqueConstraint("client_order_id", name="uq_twap_slices_client_order_id"),
    )
    op.create_table(
        "twap_fills",
        sa.Column("job_id", sa.String(16), nullable=False),
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("slice_index", sa.Integer(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("fee", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["twap_jobs.job_id"], name="fk_twap_fills_job_id_twap_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "trade_id", name="pk_twap_fills"),
    )


def downgrade() -> None:
    op.drop_table("twap_fills")
    op.drop_table("twap_slices")
    op.drop_index("ix_twap_jobs_status", table_name="twap_jobs")
    op.drop_table("twap_jobs")
