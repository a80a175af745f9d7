"""APScheduler's job store: the persisted wake-up of each active TWAP job.

Revision ID: 0003_apscheduler_jobs
Revises: 0002_twap
Create Date: 2026-01-03

The table is APScheduler 3.11's SQLAlchemyJobStore layout, created here so that every DDL statement
comes from the migrations (services that only read and write never create tables).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_apscheduler_jobs"
down_revision: str | None = "0002_twap"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
