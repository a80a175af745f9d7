"""Retention on SQLite and PostgreSQL: book snapshots and mids pruned by age and by rows; trades never."""

from __future__ import annotations

from decimal import Decimal

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import prune
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000
S = 1_000_000_000
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
LEVEL = ((Decimal("65000"), Decimal("1")),)


async def _fill(repo: SqlMarketDataRepository, n: int) -> None:
    await repo.add_books([BookSnapshot(BTC, i, LEVEL, LEVEL, T0 + i * S) for i in range(n)])
    await repo.add_mids(
        [MidPrice(BTC, Decimal(65000 + i), Decimal(64999 + i), Decimal(65001 + i), T0 + i * S) for i in range(n)]
    )
    await repo.add_trades([TradeTick(BTC, f"t{i}", Decimal(65000), Decimal(1), Side.BUY, T0 + i * S) for i in range(n)])


async def test_prune_by_age_then_by_rows_keeps_the_newest_and_every_trade(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await _fill(repo, 10)

    assert prune(database, before_ns=T0 + 4 * S, keep_rows=None) == {"book_snapshots": 4, "market_mids": 4}
    assert [b.seq for b in await repo.books(BTC)] == [4, 5, 6, 7, 8, 9]

    assert prune(database, before_ns=None, keep_rows=2) == {"book_snapshots": 4, "market_mids": 4}
    assert [b.seq for b in await repo.books(BTC)] == [8, 9]
    assert [m.ts_ns for m in await repo.mids(BTC)] == [T0 + 8 * S, T0 + 9 * S]
    assert len(await repo.trades(BTC)) == 10

    assert prune(database, before_ns=None, keep_rows=5) == {"book_snapshots": 0, "market_mids": 0}
