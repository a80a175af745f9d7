"""Spread arbitrage: spreads, the answered spread orders and their legs.

Revision ID: 0012_spreads
Revises: 0011_command_audit
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_spreads"
down_revision: str | None = "0011_command_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")  # as in 0002, spelled out
SPREAD_AMOUNTS = ("qty", "long_cost", "short_proceeds", "realised", "fees", "funding", "traded_qty")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "spreads",
        sa.Column("spread_id", sa.String(40), primary_key=True),
        sa.Column("matching_key", sa.String(64), nullable=False),
        sa.Column("long_exchange", sa.String(32), nullable=False),
        sa.Column("long_category", sa.String(16), nullable=False),
        sa.Column("long_symbol", sa.String(64), nullable=False),
        sa.Column("short_exchange", sa.String(32), nullable=False),
        sa.Column("short_category", sa.String(16), nullable=False),
        sa.Column("short_symbol", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in SPREAD_AMOUNTS),
        sa.Column("opened_ns", sa.BigInteger, nullable=False),
        sa.Column("updated_ns", sa.BigInteger, nullable=False),
        sa.Column("closed_ns", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_spreads_state", "spreads", ["state"])
    op.create_index("ix_spreads_opened", "spreads", ["opened_ns"])
    op.create_table(
        "spread_requests",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("spread_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("ts_ns", sa.BigInteger, nullable=False),
        sa.Column("reply", JSON, nullable=False),
        sa.Column("request", JSON, nullable=True),
    )
    op.create_index("ix_spread_requests_spread", "spread_requests", ["spread_id"])
    op.create_table(
        "spread_legs",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("leg", sa.Integer, nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("unwound_qty", MONEY, nullable=False),
        sa.Column("unwind_price", MONEY, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("request_id", "leg", name="pk_spread_legs"),
    )


def downgrade() -> None:
    op.drop_table("spread_legs")
    op.drop_index("ix_spread_requests_spread", "spread_requests")
    op.drop_table("spread_requests")
    op.drop_index("ix_spreads_opened", "spreads")
    op.drop_index("ix_spreads_state", "spreads")
    op.drop_table("spreads")
