"""InMemoryCommandJournal: the CommandJournal port over a dict and a list."""

from __future__ import annotations

from datetime import datetime

from tradewind.application.ports.command_journal import AuditEntry, CommandJournal, Receipt, ReceiptStatus


class InMemoryCommandJournal:
    def __init__(self) -> None:
        self.receipts: dict[tuple[str, str], Receipt | None] = {}
        self.entries: list[AuditEntry] = []

    async def claim(self, source: str, key: str, at: datetime) -> Receipt | None:
        if (source, key) not in self.receipts:
            self.receipts[source, key] = None
            return None
        stored = self.receipts[source, key]
        if stored is None:
            return Receipt(ReceiptStatus.RUNNING, "the first delivery of this command is still being carried out")
        return stored

    async def settle(self, source: str, key: str, receipt: Receipt) -> None:
        self.receipts[source, key] = receipt

    async def audit(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        return self.entries[-limit:]


_conforms: CommandJournal = InMemoryCommandJournal()
