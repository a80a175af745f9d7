"""Book snapshot levels on PostgreSQL: 2-D NUMERIC arrays, exact, readable from SQL, converted by migration 0014."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import text

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category

T0 = 1_767_225_600_000_000_000
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
BIDS = ((Decimal("65000.5"), Decimal("1.25")), (Decimal("65000"), Decimal("0.000000000000000000001")))
ASKS = ((Decimal("65001.10"), Decimal("7E+3")),)


@pytest.fixture
def pg_database(postgres_url: str, pg_schema: str) -> Iterator[Database]:
    database = Database(postgres_url, schema=pg_schema)
    yield database
    database.dispose()


@pytest.mark.parametrize("use_copy", [True, False])
def test_levels_are_numeric_arrays_that_sql_reads_exactly(pg_database: Database, use_copy: bool) -> None:
    pg_database.upgrade()
    repo = SqlMarketDataRepository(pg_database, use_copy=use_copy)
    asyncio.run(repo.add_books([BookSnapshot(BTC, 1, BIDS, ASKS, T0), BookSnapshot(BTC, 2, (), (), T0 + 1)]))

    with pg_database.engine.connect() as conn:
        best = conn.execute(text("SELECT bids[1][1], bids[2][2], asks[1][2] FROM book_snapshots WHERE seq = 1")).one()
        kinds = conn.execute(text("SELECT pg_typeof(bids)::text, array_ndims(bids) FROM book_snapshots")).all()
    # Unconstrained NUMERIC rounds nothing: more places than NUMERIC(38, 18) would keep, and an exponent, come back.
    assert tuple(best) == (Decimal("65000.5"), Decimal("0.000000000000000000001"), Decimal("7000"))
    assert kinds == [("numeric[]", 2), ("numeric[]", None)]
    books = asyncio.run(repo.books(BTC))
    assert [(b.bids, b.asks) for b in books] == [(BIDS, ((Decimal("65001.1"), Decimal("7000")),)), ((), ())]


def test_migration_0014_converts_stored_json_levels_and_back(pg_database: Database) -> None:
    pg_database.upgrade("0009_twap_tick_size")
    levels = [["65000.5", "1.25"], ["65000", "0.001"]]
    with pg_database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO book_snapshots (exchange, category, symbol, matching_key, seq, bids, asks, ts_ns, ts) "
                "VALUES ('sim', 'spot', 'BTCUSDT', 'BTC', 1, CAST(:bids AS jsonb), '[]', 1, now())"
            ),
            {"bids": json.dumps(levels)},
        )

    pg_database.upgrade()
    [book] = asyncio.run(SqlMarketDataRepository(pg_database).books(BTC))
    assert book.bids == tuple((Decimal(p), Decimal(q)) for p, q in levels) and book.asks == ()

    pg_database.downgrade("0009_twap_tick_size")
    with pg_database.engine.connect() as conn:
        assert conn.execute(text("SELECT bids, asks FROM book_snapshots")).one() == (levels, [])
