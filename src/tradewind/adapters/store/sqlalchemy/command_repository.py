"""SqlCommandJournal: the CommandJournal port (``command_receipts`` and ``command_audit`` tables)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.adapters.store.sqlalchemy.command_tables import command_audit, command_receipts
from tradewind.adapters.store.sqlalchemy.repositories import _SqlRepository
from tradewind.application.ports.command_journal import AuditEntry, Receipt, ReceiptStatus

_RUNNING = Receipt(ReceiptStatus.RUNNING, "the first delivery of this command is still being carried out")


class SqlCommandJournal(_SqlRepository):
    """A key is claimed by inserting its row: the database's primary key lets one delivery in, whichever process."""

    async def claim(self, source: str, key: str, at: datetime) -> Receipt | None:
        return await asyncio.to_thread(self._claim, source[:32], key[:128], at)

    def _claim(self, source: str, key: str, at: datetime) -> Receipt | None:
        dialect = postgresql if self._db.backend == "postgresql" else sqlite
        row = {"source": source, "key": key, "status": ReceiptStatus.RUNNING.value, "receipt": None, "created": at}
        # RETURNING says whether this insert took the key (psycopg's rowcount does not, for ON CONFLICT DO NOTHING).
        statement = (
            dialect.insert(command_receipts).values(row).on_conflict_do_nothing().returning(command_receipts.c.key)
        )
        with self._db.engine.begin() as conn:
            if conn.execute(statement).first() is not None:
                return None
            stored = conn.execute(
                select(command_receipts.c.receipt).where(
                    command_receipts.c.source == source, command_receipts.c.key == key
                )
            ).scalar_one()
        return _RUNNING if stored is None else Receipt.from_json(stored, repeated=True)

    async def settle(self, source: str, key: str, receipt: Receipt) -> None:
        statement = (
            update(command_receipts)
            .where(command_receipts.c.source == source[:32], command_receipts.c.key == key[:128])
            .values(status=receipt.status.value, receipt=receipt.to_json())
        )
        await asyncio.to_thread(self._run, statement)

    async def audit(self, entry: AuditEntry) -> None:
        row = {
            "at": entry.at, "user_name": entry.user[:32], "source": entry.source[:32],
            "identity": entry.identity[:128], "text": entry.text, "command": entry.command,
            "status": entry.status.value, "result": entry.result, "key": None if entry.key is None else entry.key[:128],
        }  # fmt: skip
        await asyncio.to_thread(self._run, command_audit.insert().values(row))

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        query = select(command_audit).order_by(command_audit.c.id.desc()).limit(limit)
        rows = await asyncio.to_thread(self._fetch, query)
        return [
            AuditEntry(
                _utc(r.at),
                r.user_name,
                r.source,
                r.identity,
                r.text,
                ReceiptStatus(r.status),
                r.result,
                r.command,
                r.key,
            )
            for r in reversed(rows)
        ]

    def _run(self, statement: Any) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(statement)


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
