"""The running system prunes book snapshots and mids every ``retention_check_s`` when a retention is set."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import table_bytes
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


def test_no_retention_set_means_no_component() -> None:
    settings = Settings.model_validate({"logging": {"to_database": False}})
    assert retention(Platform(settings, SimClock(), InMemoryBus(), distributed=False)) == []
