"""Where the command gate keeps what it did: the receipt of each idempotency key, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class ReceiptStatus(StrEnum):
    DONE = "done"  # carried out; ``outcome`` is what it answered
    REFUSED = "refused"  # a CommandError (``refusal`` says which kind); nothing changed
    INVALID = "invalid"  # not a command of the language (``syntax`` says where); nothing changed
    PENDING = "pending"  # waits for ``confirm CODE``
    RUNNING = "running"  # the first delivery of this key is still being carried out


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a command answered, as JSON-able data, so that a repeated key answers the same without running again."""

    status: ReceiptStatus
    message: str  # one line for the user
    command: dict[str, Any] | None = None  # the typed command as JSON (None: the text did not parse)
    outcome: Any = None  # the outcome as JSON (DONE only)
    refusal: str | None = None  # a Refusal value (REFUSED only)
    code: str | None = None  # the confirmation code (PENDING only)
    syntax: dict[str, Any] | None = None  # column, expected, got, suggestion (INVALID only)
    repeated: bool = False  # answered from the journal: this delivery ran nothing

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value, "message": self.message, "command": self.command, "outcome": self.outcome,
            "refusal": self.refusal, "code": self.code, "syntax": self.syntax,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any], *, repeated: bool = False) -> Receipt:
        return cls(
            ReceiptStatus(data["status"]), str(data["message"]), data.get("command"), data.get("outcome"),
            data.get("refusal"), data.get("code"), data.get("syntax"), repeated,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One command as received: who (user name, or the unknown identity), from where, what text, what came of it."""

    at: datetime
    user: str
    source: str  # the front end: telegram, http, terminal, a plugin's name
    identity: str  # as the front end saw it: "chat 42", "token of alice", "terminal"
    text: str
    status: ReceiptStatus
    result: str  # the receipt's message
    command: dict[str, Any] | None = None
    key: str | None = None


class CommandJournal(Protocol):
    """Receipts by (source, key) and the append-only audit log."""

    async def claim(self, source: str, key: str, at: datetime) -> Receipt | None:
        """Take ``key`` of ``source``: None when it is new (now taken, as RUNNING), else the receipt stored for it."""
        ...

    async def settle(self, source: str, key: str, receipt: Receipt) -> None:
        """Store the receipt of a claimed key (any status but RUNNING)."""
        ...

    async def audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` entries, oldest first."""
        ...
