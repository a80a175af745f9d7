"""CommandGate: what every text front end submits to. It parses, checks the user's role, asks for confirmation of
destructive commands, runs the command on the CommandService once per idempotency key, and audits every submission.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from tradewind.application.commands.outcomes import CommandError, Outcome, Refusal
from tradewind.application.commands.service import CommandService
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.command_journal import AuditEntry, CommandJournal, Receipt, ReceiptStatus
from tradewind.domain.command_access import User, needs_confirmation, required_role
from tradewind.domain.command_language import CommandSyntaxError, parse_command
from tradewind.domain.commands import Command, Confirm, Quit

log = structlog.get_logger(__name__)

_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from a phone and typed back
_CODE_LENGTH = 6


class CommandRenderer(Protocol):
    """Commands and outcomes as JSON-able data (``interfaces/render`` implements it): what a receipt stores."""

    def command(self, command: Command) -> dict[str, Any]: ...

    async def outcome(self, command: Command, outcome: Outcome) -> Any: ...


@dataclass(frozen=True, slots=True)
class Submission:
    """A text as a front end received it: from ``source`` (telegram, http, terminal), by ``user`` (None: an identity
    no configured user has), seen as ``identity``; ``key`` is its idempotency key (None: not deduplicated)."""

    source: str
    identity: str
    user: User | None
    text: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class _Pending:
    command: Command
    user: str
    expires_ns: int


def random_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


class CommandGate:
    """The safety every front end shares: roles, confirmation, idempotency and the audit log, over one service.

    ``on_quit`` stops the system (None: this process cannot, so ``quit`` is refused); ``quit_sources`` are the front
    ends that may give it (the ones at the system's own console or chat, not a web client).
    """

    def __init__(
        self,
        service: CommandService,
        journal: CommandJournal,
        clock: Clock,
        renderer: CommandRenderer,
        *,
        confirm_ttl_s: float = 120.0,
        on_quit: Callable[[], None] | None = None,
        quit_sources: frozenset[str] = frozenset({"terminal", "telegram"}),
        codes: Callable[[], str] = random_code,
    ) -> None:
        self.service = service
        self._journal = journal
        self._clock = clock
        self._renderer = renderer
        self._ttl_ns = int(confirm_ttl_s * 1e9)
        self.on_quit = on_quit
        self._quit_sources = quit_sources
        self._codes = codes
        self._pending: dict[str, _Pending] = {}

    @property
    def confirm_ttl_s(self) -> float:
        return self._ttl_ns / 1e9

    async def submit(self, submission: Submission) -> Receipt:
        """The receipt of ``submission``: stored for its key if the key was seen, else what running it answered."""
        if submission.key is not None:
            stored = await self._journal.claim(submission.source, submission.key, self._now())
            if stored is not None:
                repeat = Receipt(**{**_fields(stored), "repeated": True})
                await self._audit(submission, repeat)
                return repeat
        receipt = await self._handle(submission)
        if submission.key is not None:
            await self._journal.settle(submission.source, submission.key, receipt)
        await self._audit(submission, receipt)
        return receipt

    async def not_done_yet(self, source: str, key: str) -> bool:
        """Claim ``key`` of ``source`` for a side effect of a front end (a notice sent to a chat): False when an
        earlier delivery, in this process or one before it, finished it (``done``); True the first time, and again
        when one claimed it but never finished (its process died): at least once, never lost."""
        stored = await self._journal.claim(source, key, self._now())
        return stored is None or stored.status is ReceiptStatus.RUNNING

    async def done(self, source: str, key: str, message: str) -> None:
        """The side effect claimed by ``not_done_yet`` is done: a later delivery of ``key`` skips it."""
        await self._journal.settle(source, key, Receipt(ReceiptStatus.DONE, message))

    async def cancel_pending(self, code: str) -> None:
        """Drop a pending confirmation (the terminal's "N")."""
        self._pending.pop(code, None)

    async def _handle(self, submission: Submission) -> Receipt:
        user = submission.user
        if user is None:
            return Receipt(ReceiptStatus.REFUSED, f"not allowed: {submission.identity} is not a configured user",
                           refusal=Refusal.FORBIDDEN.value)  # fmt: skip
        try:
            command = parse_command(submission.text, self.service.language)
        except CommandSyntaxError as exc:
            syntax = {"column": exc.column, "expected": exc.expected, "got": exc.got, "suggestion": exc.suggestion}
            return Receipt(ReceiptStatus.INVALID, str(exc), syntax=syntax)
        if isinstance(command, Confirm):
            pending = self._take_pending(command.code, user)
            if pending is None:
                return Receipt(
                    ReceiptStatus.REFUSED,
                    f"no command waits for confirmation under {command.code!r} (codes expire after "
                    f"{self.confirm_ttl_s:g} s; give the command again)",
                    self._renderer.command(command), refusal=Refusal.NOT_FOUND.value,
                )  # fmt: skip
            return await self._run(pending, submission, user)
        refused = self._refusal(command, submission, user)
        if refused is not None:
            return refused
        if needs_confirmation(command):
            code = self._codes()
            self._pending[code] = _Pending(command, user.name, self._clock.now_ns() + self._ttl_ns)
            return Receipt(
                ReceiptStatus.PENDING,
                f"{submission.text.strip()}: confirm within {self.confirm_ttl_s:g} s with: confirm {code}",
                self._renderer.command(command), code=code,
            )  # fmt: skip
        return await self._run(command, submission, user)

    def _refusal(self, command: Command, submission: Submission, user: User) -> Receipt | None:
        needed = required_role(command)
        if not user.role.allows(needed):
            return Receipt(
                ReceiptStatus.REFUSED, f"{user.name} has role {user.role.value}; this command needs {needed.value}",
                self._renderer.command(command), refusal=Refusal.FORBIDDEN.value,
            )  # fmt: skip
        if isinstance(command, Quit) and (self.on_quit is None or submission.source not in self._quit_sources):
            where = " or ".join(sorted(self._quit_sources, reverse=True))
            return Receipt(
                ReceiptStatus.REFUSED, f"quit stops the whole system: give it at the {where} that runs it",
                self._renderer.command(command), refusal=Refusal.UNSUPPORTED.value,
            )  # fmt: skip
        return None

    def _take_pending(self, code: str, user: User) -> Command | None:
        now = self._clock.now_ns()
        for stale in [c for c, p in self._pending.items() if p.expires_ns <= now]:
            del self._pending[stale]
        pending = self._pending.get(code)
        if pending is None or pending.user != user.name:  # another user's code is as good as none
            return None
        del self._pending[code]
        return pending.command

    async def _run(self, command: Command, submission: Submission, user: User) -> Receipt:
        refused = self._refusal(command, submission, user)  # again: a confirmation carries out what is allowed now
        if refused is not None:
            return refused
        shown = self._renderer.command(command)
        if isinstance(command, Quit):
            assert self.on_quit is not None  # _refusal checked it
            log.info("commands.quit", user=user.name, source=submission.source)
            self.on_quit()
            return Receipt(ReceiptStatus.DONE, "stopping every service", shown, {"stopping": True})
        try:
            outcome = await self.service.execute(command)
            rendered = await self._renderer.outcome(command, outcome)
        except CommandError as exc:
            return Receipt(ReceiptStatus.REFUSED, str(exc), shown, refusal=exc.refusal.value)
        return Receipt(ReceiptStatus.DONE, _summary(command, outcome), shown, rendered)

    async def _audit(self, submission: Submission, receipt: Receipt) -> None:
        user = submission.user.name if submission.user is not None else "-"
        entry = AuditEntry(
            self._now(), user, submission.source, submission.identity, submission.text[:500],
            receipt.status, ("repeat: " if receipt.repeated else "") + receipt.message, receipt.command, submission.key,
        )  # fmt: skip
        try:
            await self._journal.audit(entry)
        except Exception:  # the command has run: a failed audit write is logged, not reported as a failed command
            log.exception("commands.audit_failed", source=submission.source, user=user)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now_ns() / 1e9, tz=UTC)


def _fields(receipt: Receipt) -> dict[str, Any]:
    return {name: getattr(receipt, name) for name in Receipt.__dataclass_fields__}


def _summary(command: Command, _outcome: Outcome) -> str:
    return f"{type(command).__name__}: done"
