"""The command gate's tables on the shared metadata: receipts by idempotency key, and the audit log."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, PrimaryKeyConstraint, String, Table, Text

from tradewind.adapters.store.sqlalchemy.columns import Id, Json
from tradewind.adapters.store.sqlalchemy.tables import metadata

command_receipts = Table(
    "command_receipts",
    metadata,
    Column("source", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("receipt", Json, nullable=True),  # None while the first delivery runs
    Column("created", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("source", "key", name="pk_command_receipts"),
    Index("ix_command_receipts_created", "created"),  # what the journal's retention deletes by
)

command_audit = Table(
    "command_audit",
    metadata,
    Column("id", Id, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("identity", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("command", Json, nullable=True),
    Column("status", String(16), nullable=False),
    Column("result", Text, nullable=False),
    Column("key", String(128), nullable=True),
    PrimaryKeyConstraint("id", name="pk_command_audit"),
    Index("ix_command_audit_at", "at"),
)
