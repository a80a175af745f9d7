"""N book updates through the recorder into PostgreSQL, with a PostgreSQL restart in the middle: N rows out."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.waiting import WaitUntil
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.store.spill_file import JsonLinesSpill
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.domain.market import BookSnapshot, InstrumentRef, book_to_payload
from tradewind.domain.values import Category

pytestmark = pytest.mark.serial
N = 3000
REF = InstrumentRef("bybit", Category.LINEAR, "BTCUSDT", "btc")


def _pg_ctl(action: str) -> None:
    (version,) = [p.name for p in Path("/etc/postgresql").iterdir()]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True, timeout=120
    )  # fmt: skip


def _pg_up(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.fixture
def database(postgres_url: str, pg_schema: str) -> Iterator[Database]:
    db = Database(postgres_url, schema=pg_schema)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
        if not _pg_up(postgres_url):  # whatever happened, leave PostgreSQL running for the other tests
            _pg_ctl("start")


async def test_book_updates_are_all_stored_through_a_database_restart(
    database: Database, postgres_url: str, tmp_path: Path, wait_until: WaitUntil
) -> None:
    bus = InMemoryBus()
    await bus.start()
    settings = RecorderSettings(
        kinds=("book",), batch_size=200, flush_interval_s=0.05, max_pending=500, spill_path=tmp_path / "spill.jsonl"
    )
    recorder = MarketDataRecorder(
        bus, SqlMarketDataRepository(database), WallClock(), settings, spill=JsonLinesSpill(tmp_path / "spill.jsonl")
    )
    await recorder.start()
    try:
        for i in range(N):
            price = Decimal(60_000 + i % 50)
            book = BookSnapshot(REF, i + 1, ((price, Decimal("1")),), ((price + 1, Decimal("2")),), 1_700_000_000 + i)
            await bus.publish(REF.topic("book"), book_to_payload(book))
            if i + 1 == N // 3:
                await wait_until(lambda: recorder.stats.written == N // 3, timeout=30, what="first third stored")
                await asyncio.to_thread(_pg_ctl, "stop")
            if i + 1 == 2 * N // 3:
                # While the database is down the rows wait in memory, then in the spill file.
                await wait_until(lambda: recorder.stats.received == 2 * N // 3, timeout=60, what="second third in")
                assert recorder.stats.write_errors > 0 and recorder.stats.spilled > 0
                await asyncio.to_thread(_pg_ctl, "start")
        await wait_until(lambda: recorder.stats.written == N, timeout=60, what="every update stored")
    finally:
        await recorder.stop()
        await bus.close()
    stored = await SqlMarketDataRepository(database).books(REF)
    assert sorted(b.seq for b in stored) == list(range(1, N + 1))
    assert recorder.stats.dropped == 0
