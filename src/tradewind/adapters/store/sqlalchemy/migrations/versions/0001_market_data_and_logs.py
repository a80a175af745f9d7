"""Market data (trades, mids, book snapshots) and structured logs.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Types are spelled out here rather than imported, so this revision keeps meaning what it meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(38, 18).with_variant(sa.String(40), "sqlite")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MARKET_DATA_TABLES = ("market_trades", "market_mids", "book_snapshots")


def _instrument() -> list[sa.Column[Any]]:
    return [
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("matching_key", sa.String(64), nullable=False, server_default=""),
    ]


def _time() -> list[sa.Column[Any]]:
    return [
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    ]


def _timescale_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"))
    return found.first() is not None


def upgrade() -> None:
    op.create_table(
        "market_trades",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        *_instrument(),
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("qty", MONEY, nullable=False),
        sa.Column("taker_side", sa.String(4), nullable=False),
        *_time(),
        sa.PrimaryKeyConstraint("id", name="pk_market_trades"),
        sa.UniqueConstraint("exchange", "category", "symbol", "ts", "trade_id", name="uq_market_trades_instrument_ts"),
    )
    op.create_table(
        "market_mids",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        *_instrument(),
        sa.Column("mid", MONEY, nullable=False),
        sa.Column("best_bid", MONEY, nullable=False),
        sa.Column("best_ask", MONEY, nullable=False),
        *_time(),
        sa.PrimaryKeyConstraint("id", name="pk_market_mids"),
    )
    op.create_index("ix_market_mids_instrument_ts", "market_mids", ["exchange", "category", "symbol", "ts"])
    op.create_table(
        "book_snapshots",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        *_instrument(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("bids", JSON, nullable=False),
        sa.Column("asks", JSON, nullable=False),
        *_time(),
        sa.PrimaryKeyConstraint("id", name="pk_book_snapshots"),
        sa.UniqueConstraint("exchange", "category", "symbol", "ts", "seq", name="uq_book_snapshots_instrument_ts"),
    )
    op.create_table(
        "logs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        *_time(),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("logger", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_logs"),
    )
    op.create_index("ix_logs_ts", "logs", ["ts"])
    op.create_index("ix_logs_job_id_ts", "logs", ["job_id", "ts"])
    op.create_index("ix_logs_logger_ts", "logs", ["logger", "ts"])

    if _timescale_available():
        # Not installed on the build machines: this branch only runs where TimescaleDB is. A hypertable
        # needs its time column in every unique key, so the primary keys become (id, ts).
        op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        home = op.get_bind().execute(
            sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'timescaledb'")
        )
        ts_schema = home.scalar_one()  # the search_path may hold only our schema
        for table in MARKET_DATA_TABLES:
            op.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}, ADD CONSTRAINT pk_{table} PRIMARY KEY (id, ts)"
            )
            op.execute(f"SELECT {ts_schema}.create_hypertable('{table}', 'ts', migrate_data => true)")


def downgrade() -> None:
    op.drop_table("logs")
    op.drop_table("book_snapshots")
    op.drop_table("market_mids")
    op.drop_table("market_trades")
