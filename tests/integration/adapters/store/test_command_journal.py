"""SqlCommandJournal on SQLite and PostgreSQL: a key is claimed once, its receipt answers every later claim, and the
audit log keeps every entry in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.fakes.command_journal import InMemoryCommandJournal
from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.ports.command_journal import AuditEntry, Receipt, ReceiptStatus

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DONE = Receipt(ReceiptStatus.DONE, "done", {"type": "status"}, {"twap": True, "n": "1.50"})


async def test_a_key_is_claimed_once_and_later_claims_get_its_receipt(database: Database) -> None:
    for journal in (SqlCommandJournal(database), InMemoryCommandJournal()):
        assert await journal.claim("telegram", "1001", AT) is None
        running = await journal.claim("telegram", "1001", AT)
        assert running is not None and running.status is ReceiptStatus.RUNNING
        assert await journal.claim("http", "1001", AT) is None  # another front end's key space
        await journal.settle("telegram", "1001", DONE)
        stored = await journal.claim("telegram", "1001", AT)
        assert stored is not None and (stored.status, stored.command, stored.outcome) == (
            ReceiptStatus.DONE, {"type": "status"}, {"twap": True, "n": "1.50"},
        )  # fmt: skip


async def test_concurrent_claims_of_one_key_let_exactly_one_in(database: Database) -> None:
    journal = SqlCommandJournal(database)
    results = await asyncio.gather(*(journal.claim("http", "same", AT) for _ in range(8)))
    assert sum(r is None for r in results) == 1


async def test_the_audit_log_keeps_entries_in_order(database: Database) -> None:
    journal = SqlCommandJournal(database)
    for n in range(3):
        await journal.audit(AuditEntry(AT, "ada", "terminal", "terminal", f"status {n}", ReceiptStatus.DONE, "ok",
                                       {"type": "show_status"}, f"s:{n}"))  # fmt: skip
    log = await journal.audit_log(limit=2)
    assert [(e.text, e.key, e.command, e.at) for e in log] == [
        ("status 1", "s:1", {"type": "show_status"}, AT), ("status 2", "s:2", {"type": "show_status"}, AT),
    ]  # fmt: skip
