"""APScheduler's job-store table (``apscheduler_jobs``) on the shared metadata, so a migration creates it.

The columns are APScheduler 3.11's own (SQLAlchemyJobStore); it finds the table already there and uses
it. ``next_run_time`` is APScheduler's float epoch seconds: a wake-up time, never a price or a quantity.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, LargeBinary, Table, Unicode

from tradewind.adapters.store.sqlalchemy.tables import metadata

APSCHEDULER_TABLE = "apscheduler_jobs"

apscheduler_jobs = Table(
    APSCHEDULER_TABLE,
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25)),
    Column("job_state", LargeBinary, nullable=False),
    Index("ix_apscheduler_jobs_next_run_time", "next_run_time"),
)
