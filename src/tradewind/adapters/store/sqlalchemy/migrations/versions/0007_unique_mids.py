"""A mid is one row in ``market_mids``: a unique index on (instrument, ts, ts_ns, best_bid, best_ask).

Revision ID: 0007_unique_mids
Revises: 0006_md_subscriptions
Create Date: 2026-11-25

The storage service acknowledges a message only once its row is stored, so after a crash the broker redelivers what
was stored but not yet acknowledged; trades and books were already idempotent, mids become so here. The index starts
with the old (instrument, ts) one, which it replaces. Repeats already stored are removed first (the earliest kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_unique_mids"
down_revision: str | None = "0006_md_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["exchange", "category", "symbol", "ts", "ts_ns", "best_bid", "best_ask"]


def upgrade() -> None:
    columns = ", ".join(KEY)
    op.execute(
        "DELETE FROM market_mids WHERE id NOT IN "
        f"(SELECT keep FROM (SELECT MIN(id) AS keep FROM market_mids GROUP BY {columns}) k)"
    )
    op.drop_index("ix_market_mids_instrument_ts", table_name="market_mids")
    op.create_index("ux_market_mids_instrument_ts", "market_mids", KEY, unique=True)


def downgrade() -> None:
    op.drop_index("ux_market_mids_instrument_ts", table_name="market_mids")
    op.create_index("ix_market_mids_instrument_ts", "market_mids", ["exchange", "category", "symbol", "ts"])
