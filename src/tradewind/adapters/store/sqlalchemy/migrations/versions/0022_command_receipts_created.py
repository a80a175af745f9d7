"""An index on command receipts' creation time, which the journal's retention deletes by.

Revision ID: 0022_command_receipts_created
Revises: 0021_trade_partial_close
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022_command_receipts_created"
down_revision: str | None = "0021_trade_partial_close"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The receipts grow by one row per notice and chat: without it each prune would read the whole table.
    op.create_index("ix_command_receipts_created", "command_receipts", ["created"])


def downgrade() -> None:
    op.drop_index("ix_command_receipts_created", table_name="command_receipts")
