"""The running system prunes book snapshots and mids every ``retention_check_s`` when a retention is set."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.bootstrap.platform import Platform
from tradewind.bootstrap.storage import retention
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.settings import Settings

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
LEVEL = ((Decimal("65000"), Decimal("1")),)


async def test_retention_prunes_on_the_clock_and_stops_while_it_stands_still(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "recorder": {"retention_rows": 2, "retention_check_s": 60},
            "logging": {"to_database": False},
        }
    )
    clock = SimClock()
    platform = Platform(settings, clock, InMemoryBus(), distributed=False)
    platform.database.upgrade()
    repo = SqlMarketDataRepository(platform.database)
    await repo.add_books([BookSnapshot(BTC, i, LEVEL, LEVEL, clock.now_ns() + i) for i in range(5)])
    (component,) = retention(platform)
    assert component.run is not None and component.stop is not None
    task = asyncio.create_task(component.run())
    await asyncio.sleep(0)
    assert len(await repo.books(BTC)) == 5  # nothing before the first check
    await clock.advance(60)
    for _ in range(100):  # the prune runs in a thread
        if len(await repo.books(BTC)) == 2:
            break
        await asyncio.sleep(0.01)
    assert [b.seq for b in await repo.books(BTC)] == [3, 4]
    await component.stop()
    await asyncio.wait_for(task, 5)  # ends although the simulated clock stands still
    platform.database.dispose()


def test_no_retention_set_means_no_component() -> None:
    settings = Settings.model_validate({"logging": {"to_database": False}})
    assert retention(Platform(settings, SimClock(), InMemoryBus(), distributed=False)) == []
