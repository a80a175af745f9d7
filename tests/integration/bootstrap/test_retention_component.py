"""The running system prunes book snapshots and mids every ``retention_check_s`` when a retention is set, and the
command journal's old rows (limited by default)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.command_repository import SqlCommandJournal
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import table_bytes
from tradewind.application.messages.notices import NOTICE_SOURCE
from tradewind.application.ports.command_journal import Receipt, ReceiptStatus
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.storage import retention
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.settings import Settings

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
LEVELS = tuple((Decimal(65000 + i), Decimal("1.5")) for i in range(50))  # a snapshot of a few kilobytes
N = 200


async def test_retention_prunes_on_the_clock_and_stops_while_it_stands_still(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "recorder": {"retention_max_bytes": "200KB", "retention_check_s": 60},
            "logging": {"to_database": False},
        }
    )
    clock = SimClock()
    platform = Platform(settings, clock, InMemoryBus(), distributed=False)
    platform.database.upgrade()
    repo = SqlMarketDataRepository(platform.database)
    await repo.add_books([BookSnapshot(BTC, i, LEVELS, LEVELS, clock.now_ns() + i) for i in range(N)])
    assert sum(table_bytes(platform.database).values()) > 200_000
    (component,) = retention(platform)
    assert component.run is not None and component.stop is not None
    task = asyncio.create_task(component.run())
    await asyncio.sleep(0)
    assert len(await repo.books(BTC)) == N  # nothing before the first check
    await clock.advance(60)
    for _ in range(200):  # the prune runs in a thread
        if len(await repo.books(BTC)) < N:
            break
        await asyncio.sleep(0.01)
    kept = [b.seq for b in await repo.books(BTC)]
    assert kept and kept == list(range(N - len(kept), N))  # the newest, oldest gone first
    assert sum(table_bytes(platform.database).values()) <= 200_000
    await component.stop()
    await asyncio.wait_for(task, 5)  # ends although the simulated clock stands still
    platform.database.dispose()


def test_a_size_that_is_not_one_is_refused_naming_the_key() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({"recorder": {"retention_max_bytes": "2 gigs"}})
    assert "retention_max_bytes" in str(refused.value)
    assert (
        Settings.model_validate({"recorder": {"retention_max_bytes": "2GB"}}).recorder.retention_max_bytes == 2 * 10**9
    )


async def test_the_journal_is_pruned_on_the_clock_by_default(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"}, "logging": {"to_database": False}}
    )
    clock = SimClock()
    platform = Platform(settings, clock, InMemoryBus(), distributed=False)
    platform.database.upgrade()
    journal = SqlCommandJournal(platform.database)
    now = datetime.fromtimestamp(clock.now_ns() / 1e9, tz=UTC)
    ages = {"http": (31, 29), NOTICE_SOURCE: (8, 6)}  # days: past and within the defaults, 30 and 7
    for source, days in ages.items():
        for age in days:
            assert await journal.claim(source, f"{age}d", now - timedelta(days=age)) is None
            await journal.settle(source, f"{age}d", Receipt(ReceiptStatus.DONE, "ok"))
    (component,) = retention(platform)  # no market-data limit: the journal's defaults alone make one
    assert component.run is not None and component.stop is not None
    task = asyncio.create_task(component.run())
    await asyncio.sleep(0)
    stored = await journal.claim("http", "31d", now)
    assert stored is not None and stored.status is ReceiptStatus.DONE  # nothing before the first check
    await clock.advance(settings.recorder.retention_check_s)
    for _ in range(200):  # the prune runs in a thread
        if await journal.claim("http", "31d", now) is None:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the receipt 31 days old was not pruned")
    assert await journal.claim(NOTICE_SOURCE, "8d", now) is None  # pruned too: taken anew
    kept = [await journal.claim(source, f"{days[1]}d", now) for source, days in ages.items()]
    assert all(r is not None and r.status is ReceiptStatus.DONE for r in kept)
    await component.stop()
    await asyncio.wait_for(task, 5)
    platform.database.dispose()


@pytest.mark.parametrize("value", [0.5, 0, -1, 1e30, "NaN", "Infinity", "-Infinity", "ten"])
def test_a_journal_limit_out_of_range_is_refused_naming_the_key(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({"commands": {"journal": {"receipts_days": value}}})
    assert "receipts_days" in str(refused.value)
    for key in ("notice_receipts_days", "audit_days"):
        if value != 0.5:
            with pytest.raises(ValidationError, match=key):
                Settings.model_validate({"commands": {"journal": {key: value}}})


@pytest.mark.parametrize("value", [1e30, "NaN", "Infinity", -1, 0])
def test_a_retention_age_out_of_range_is_refused_naming_the_key(value: object) -> None:
    with pytest.raises(ValidationError, match="retention_hours"):
        Settings.model_validate({"recorder": {"retention_hours": value}})


def test_no_retention_set_means_no_component() -> None:
    unlimited = {"receipts_days": None, "notice_receipts_days": None}  # audit_days is None by default
    settings = Settings.model_validate({"logging": {"to_database": False}, "commands": {"journal": unlimited}})
    assert retention(Platform(settings, SimClock(), InMemoryBus(), distributed=False)) == []
