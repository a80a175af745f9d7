"""The command gate: a receipt per idempotency key (a resent command answers it and runs nothing), the audit log.

Revision ID: 0011_command_audit
Revises: 0010_candles
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_command_audit"
down_revision: str | None = "0010_candles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "command_receipts",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("receipt", JSON, nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "key", name="pk_command_receipts"),
    )
    op.create_table(
        "command_audit",
        sa.Column("id", ID, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("identity", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("command", JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("key", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_command_audit"),
    )
    op.create_index("ix_command_audit_at", "command_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_command_audit_at", table_name="command_audit")
    op.drop_table("command_audit")
    op.drop_table("command_receipts")
