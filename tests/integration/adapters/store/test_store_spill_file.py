"""The recorder's spill port on its JSON-lines file: rows wait on disk, oldest first, and survive a crash."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.adapters.store.spill_file import JsonLinesSpill
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.application.marketdata.recorder import MarketDataRecorder, RecorderSettings
from tradewind.application.messages.market import TRADE
from tradewind.domain.market import InstrumentRef, TradeTick
from tradewind.domain.values import Category, Side

pytestmark = pytest.mark.integration
REF = InstrumentRef("sim", Category.SPOT, "BTCUSDT")


def spill_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith("spill")]


def row(n: int) -> tuple[str, dict[str, object]]:
    return ("md.trade", {"n": n})


def test_claimed_rows_come_back_oldest_first_and_a_settled_claim_leaves_nothing(tmp_path: Path) -> None:
    spill = JsonLinesSpill(tmp_path / "spill.jsonl")
    assert spill.claim() == []
    spill.add([row(1), row(2)])
    spill.add([row(3)])
    assert spill.claim() == [row(1), row(2), row(3)]
    spill.settle([])
    assert spill.claim() == []
    assert list(tmp_path.iterdir()) == []


def test_an_unsettled_claim_is_claimed_again_before_rows_spilled_since(tmp_path: Path) -> None:
    spill = JsonLinesSpill(tmp_path / "spill.jsonl")
    spill.add([row(1), row(2), row(3)])
    assert spill.claim() == [row(1), row(2), row(3)]
    spill.settle([row(3)])  # 1 and 2 were written; then the process died
    spill.add([row(4)])
    again = JsonLinesSpill(tmp_path / "spill.jsonl")  # the next process
    assert again.claim() == [row(3)]
    again.settle([])
    assert again.claim() == [row(4)]


def test_an_empty_claim_left_behind_does_not_hide_the_rows_spilled_since(tmp_path: Path) -> None:
    (tmp_path / "spill.jsonl.loading").write_text("", encoding="utf-8")
    spill = JsonLinesSpill(tmp_path / "spill.jsonl")
    spill.add([row(1)])
    assert spill.claim() == []
    assert spill.claim() == [row(1)]


def test_a_file_spilled_before_the_registry_named_the_kinds_is_read(tmp_path: Path) -> None:
    old = [{"kind": "trade", "row": {"n": 1}}, {"kind": "order", "row": {"n": 2}}]
    (tmp_path / "spill.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    assert JsonLinesSpill(tmp_path / "spill.jsonl").claim() == [("md.trade", {"n": 1}), ("order.event", {"n": 2})]


async def test_rows_beyond_max_pending_spill_while_the_database_is_down_and_are_stored_once_it_answers(
    tmp_path: Path,
) -> None:
    settings = RecorderSettings(kinds=("trade",), batch_size=1000, max_pending=5, spill_path=tmp_path / "spill.jsonl")
    down = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")  # nothing listens there: every write fails
    bus = InMemoryBus()
    await bus.start()
    first = MarketDataRecorder(
        bus, SqlMarketDataRepository(down), SimClock(), settings, spill=JsonLinesSpill(tmp_path / "spill.jsonl")
    )
    await first.start()
    ticks = [
        TradeTick(REF, f"t{n}", Decimal("60000.1") + n, Decimal("0.001"), Side.BUY, 1_700_000_000 + n)
        for n in range(12)
    ]
    for tick in ticks:
        await bus.publish(REF.topic("trade"), TRADE.encode(tick))
    await wait_for(lambda: first.stats.received == len(ticks))
    assert (first.stats.spilled, first.pending) == (7, 5)
    with contextlib.suppress(Exception):
        await first.stop()  # its final write fails: the database is still down
    await bus.close()
    down.dispose()

    up = Database(f"sqlite:///{tmp_path / 'up.db'}")
    up.upgrade()
    repo = SqlMarketDataRepository(up)
    second = MarketDataRecorder(
        InMemoryBus(), repo, SimClock(), settings, spill=JsonLinesSpill(tmp_path / "spill.jsonl")
    )
    assert await second.flush() == 7
    assert sorted(t.trade_id for t in await repo.trades(REF)) == sorted(f"t{n}" for n in range(7))
    assert spill_files(tmp_path) == []
    up.dispose()


def test_a_spill_path_without_a_spill_store_is_refused(tmp_path: Path) -> None:
    settings = RecorderSettings(spill_path=tmp_path / "spill.jsonl")
    with pytest.raises(ValueError, match="no spill store"):
        MarketDataRecorder(InMemoryBus(), SqlMarketDataRepository(Database("sqlite://")), SimClock(), settings)
