"""``tradewind db prune``: a byte budget and ages read with a clear refusal naming the option, the bytes before and
after, and the command journal's old rows deleted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import table_bytes
from tradewind.application.messages.notices import NOTICE_SOURCE
from tradewind.application.ports.command_journal import AuditEntry, Receipt, ReceiptStatus
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.interfaces.cli.app import app

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
LEVELS = tuple((Decimal(65000 + i), Decimal("1.5")) for i in range(50))


@pytest.fixture
async def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    database = Database(url)
    database.upgrade()
    await SqlMarketDataRepository(database).add_books([BookSnapshot(BTC, i, LEVELS, LEVELS, i) for i in range(300)])
    database.dispose()
    path = tmp_path / "tw.yaml"
    path.write_text(yaml.safe_dump({"storage": {"url": url}, "logging": {"to_database": False}}))
    return path


@pytest.mark.parametrize("size", ["two gigs", "0", "-5MB", "12XB", "1e30", "NaN", "Infinity", "1_0GB", "2.7e40B"])
def test_a_size_it_cannot_read_exits_2_naming_the_option(config: Path, size: str) -> None:
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--max-bytes", size])
    assert result.exit_code == 2
    assert "--max-bytes" in result.output and "is not a size" in result.output
    assert "Traceback" not in result.output


def test_prune_to_a_budget_reports_bytes_before_and_after(config: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tw.db'}")
    before = table_bytes(database)["book_snapshots"]
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--max-bytes", "300KB"])
    after = table_bytes(database)["book_snapshots"]
    database.dispose()
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("book_snapshots:"))
    deleted, said_before, said_after = (int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= rows| bytes)", line))
    assert deleted > 0 and (said_before, said_after) == (before, after)
    assert after <= 300_000 < before


@pytest.mark.parametrize("option", ["--older-than-hours", "--receipts-days", "--notice-receipts-days", "--audit-days"])
@pytest.mark.parametrize("value", ["1e30", "NaN", "Infinity", "-Infinity", "-5", "0", "ten", "1_0", "36501e0"])
def test_an_age_it_cannot_take_exits_2_naming_the_option(config: Path, option: str, value: str) -> None:
    if option == "--older-than-hours" and value == "36501e0":
        value = "876001"  # the hours of 100 years and one
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), option, value])
    assert result.exit_code == 2, result.output
    assert option in result.output and "is not a number of" in result.output
    assert "Traceback" not in result.output


def test_receipts_are_kept_at_least_a_day(config: Path) -> None:
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--receipts-days", "0.5"])
    assert result.exit_code == 2 and "--receipts-days" in result.output and "at least 1" in result.output


async def test_prune_deletes_the_journals_old_rows_and_says_how_many(config: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tw.db'}")
    journal = SqlCommandJournal(database)
    now = datetime.now(UTC)
    rows = (("http", "old", 40), ("http", "new", 2), (NOTICE_SOURCE, "old", 3), (NOTICE_SOURCE, "new", 0))
    for source, key, age in rows:
        assert await journal.claim(source, key, now - timedelta(days=age)) is None
        await journal.settle(source, key, Receipt(ReceiptStatus.DONE, "ok"))
    for age in (400, 1):
        await journal.audit(AuditEntry(now - timedelta(days=age), "-", "http", "t", f"status {age}",
                                       ReceiptStatus.DONE, "ok"))  # fmt: skip

    # The commands' default (30 days); notices' kept 2 days here; the audit kept (no limit by default).
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--notice-receipts-days", "2"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "command_receipts: 1 rows older than 30 days deleted" in lines
    assert "notice_receipts: 1 rows older than 2 days deleted" in lines
    assert "command_audit: kept (no limit)" in lines
    assert not any(line.startswith("book_snapshots") for line in lines)  # no market-data limit given
    stored = {(s, k): await journal.claim(s, k, now) is not None for s, k, _ in rows}
    assert stored == {("http", "old"): False, ("http", "new"): True, (NOTICE_SOURCE, "old"): False,
                      (NOTICE_SOURCE, "new"): True}  # fmt: skip
    assert len(await journal.audit_log()) == 2
    database.dispose()


def test_nothing_to_prune_by_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "none.yaml"
    unlimited = {"receipts_days": None, "notice_receipts_days": None}
    sections = {"storage": {"url": f"sqlite:///{tmp_path / 'none.db'}"}, "logging": {"to_database": False}}
    path.write_text(yaml.safe_dump({**sections, "commands": {"journal": unlimited}}))
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(path)])
    assert result.exit_code == 2 and "nothing to prune by" in result.output
