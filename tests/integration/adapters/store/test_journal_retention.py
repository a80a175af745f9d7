"""The command journal's retention on SQLite and PostgreSQL: receipts of commands, receipts of notices and audit
entries older than their cutoffs go, newer ones stay, and a key retried within the window is still answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.application.commands.test_command_service import FakeMarketData
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.retention import JournalCutoffs, prune_journal
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.commands.settings import JournalSettings
from tradewind.application.messages.notices import NOTICE_SOURCE
from tradewind.application.ports.command_journal import AuditEntry, Receipt, ReceiptStatus
from tradewind.bootstrap.storage import journal_cutoffs
from tradewind.domain.command_access import Role, User
from tradewind.domain.command_language import DEFAULT_ALIASES, LanguageContext
from tradewind.interfaces.render.commands import JsonRenderer

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TINA = User("tina", Role.TRADE)


async def _receipt(journal: SqlCommandJournal, source: str, key: str, at: datetime) -> None:
    assert await journal.claim(source, key, at) is None
    await journal.settle(source, key, Receipt(ReceiptStatus.DONE, "sent"))


async def _stored(journal: SqlCommandJournal, source: str, key: str) -> bool:
    """Whether ``key`` still has its receipt (a claim of a pruned key takes it anew and answers None)."""
    return await journal.claim(source, key, NOW) is not None


async def test_each_kind_of_row_older_than_its_cutoff_goes_and_the_newer_stay(database: Database) -> None:
    journal = SqlCommandJournal(database)
    for source in ("http", "telegram", NOTICE_SOURCE):
        await _receipt(journal, source, "old", NOW - 40 * DAY)
        await _receipt(journal, source, "week", NOW - 8 * DAY)
        await _receipt(journal, source, "new", NOW - DAY)
    for age in (100, 10):
        await journal.audit(AuditEntry(NOW - age * DAY, "tina", "http", "token of tina", f"status {age}",
                                       ReceiptStatus.DONE, "ok"))  # fmt: skip

    deleted = prune_journal(database, journal_cutoffs(JournalSettings(audit_days=90), int(NOW.timestamp() * 1e9)))

    # Commands keep 30 days, notices 7, the audit 90 (set here: by default it is kept).
    assert deleted == {"command_receipts": 2, "notice_receipts": 2, "command_audit": 1}
    for source in ("http", "telegram"):
        assert [await _stored(journal, source, k) for k in ("old", "week", "new")] == [False, True, True]
    assert [await _stored(journal, NOTICE_SOURCE, k) for k in ("old", "week", "new")] == [False, False, True]
    assert [e.text for e in await journal.audit_log()] == ["status 10"]


async def test_no_cutoff_deletes_nothing(database: Database) -> None:
    journal = SqlCommandJournal(database)
    await _receipt(journal, "http", "ancient", datetime(2000, 1, 1, tzinfo=UTC))
    assert prune_journal(database, JournalCutoffs()) == {}
    assert await _stored(journal, "http", "ancient")


async def test_a_key_retried_within_the_window_is_answered_and_after_it_runs_anew(database: Database) -> None:
    clock = SimClock(start_ns=int(NOW.timestamp()) * 10**9)
    market = FakeMarketData()
    language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
    service = CommandService(market_data=market, default_exchange="sim", language=language)
    gate = CommandGate(service, SqlCommandJournal(database), clock, JsonRenderer(service))
    limits = JournalSettings()  # the defaults: commands' receipts for 30 days
    assert limits.receipts_days == 30

    first = await gate.submit(Submission("http", "t", TINA, "subscribe eth", "k1"))
    await clock.advance(29.9 * 86_400)
    prune_journal(database, journal_cutoffs(limits, clock.now_ns()))
    market.subs.clear()  # had it run again, the subscription would be back
    retried = await gate.submit(Submission("http", "t", TINA, "subscribe eth", "k1"))
    assert first.status is ReceiptStatus.DONE and not first.repeated
    assert retried.repeated and retried.outcome == first.outcome and market.subs == {}

    await clock.advance(0.2 * 86_400)  # 30.1 days after: beyond the window, the receipt is gone
    assert prune_journal(database, journal_cutoffs(limits, clock.now_ns()))["command_receipts"] == 1
    late = await gate.submit(Submission("http", "t", TINA, "subscribe eth", "k1"))
    assert not late.repeated and len(market.subs) == 1
