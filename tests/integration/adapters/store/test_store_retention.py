"""Retention on SQLite and PostgreSQL: book snapshots and mids pruned by age and by bytes; trades never."""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import prune, table_bytes
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000
S = 1_000_000_000
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
# 50 levels a side, as the recorder stores them: a snapshot is a few kilobytes, so pages fill quickly.
BIDS = tuple((Decimal(65000 - i) + Decimal("0.5"), Decimal("1.234")) for i in range(50))
ASKS = tuple((Decimal(65001 + i) + Decimal("0.5"), Decimal("1.234")) for i in range(50))


async def _fill(repo: SqlMarketDataRepository, n: int) -> None:
    await repo.add_books([BookSnapshot(BTC, i, BIDS, ASKS, T0 + i * S) for i in range(n)])
    await repo.add_mids(
        [MidPrice(BTC, Decimal(65000 + i), Decimal(64999 + i), Decimal(65001 + i), T0 + i * S) for i in range(n)]
    )
    await repo.add_trades([TradeTick(BTC, f"t{i}", Decimal(65000), Decimal(1), Side.BUY, T0 + i * S) for i in range(n)])


async def test_prune_by_age_deletes_what_is_older_and_keeps_every_trade(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await _fill(repo, 10)

    report = prune(database, before_ns=T0 + 4 * S, max_bytes=None)

    assert report.deleted == {"book_snapshots": 4, "market_mids": 4}
    assert [b.seq for b in await repo.books(BTC)] == [4, 5, 6, 7, 8, 9]
    assert len(await repo.trades(BTC)) == 10


async def test_prune_by_bytes_drops_the_oldest_until_under_the_budget(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await _fill(repo, 400)
    measured = table_bytes(database)
    assert measured["book_snapshots"] > measured["market_mids"] > 0
    budget = sum(measured.values()) // 3

    report = prune(database, before_ns=None, max_bytes=budget)

    assert report.bytes_before == measured
    assert report.total_after <= budget < report.total_before
    assert report.bytes_after == table_bytes(database)
    books = [b.seq for b in await repo.books(BTC)]
    mids = [m.ts_ns for m in await repo.mids(BTC)]
    assert books and books == list(range(400 - len(books), 400))  # the newest, with no gap
    assert mids and mids == [T0 + i * S for i in range(400 - len(mids), 400)]
    assert report.deleted == {"book_snapshots": 400 - len(books), "market_mids": 400 - len(mids)}
    # Close to the budget, not far below it: a third of the bytes keeps roughly a third of the rows.
    assert 400 // 6 < len(books) < 400 // 2
    assert len(await repo.trades(BTC)) == 400


async def test_a_budget_already_met_deletes_nothing(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await _fill(repo, 20)
    report = prune(database, before_ns=None, max_bytes=10**12)
    assert report.deleted == {"book_snapshots": 0, "market_mids": 0}
    assert report.bytes_after == report.bytes_before
