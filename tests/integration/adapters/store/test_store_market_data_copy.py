"""SqlMarketDataRepository's COPY path on PostgreSQL stores exactly what its executemany path stores."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DataError

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
TABLES = ("market_trades", "market_mids", "book_snapshots")
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
# Characters COPY's text format has to escape, and one it has to carry as UTF-8.
ODD = InstrumentRef("ex\\ch", Category.LINEAR, "BTC\tUSDT\n\\N", "kéy\r'\"")

Scenario = Callable[[SqlMarketDataRepository], Coroutine[Any, Any, None]]
Tables = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def pg_database(postgres_url: str, pg_schema: str) -> Iterator[Database]:
    database = Database(postgres_url, schema=pg_schema)
    database.upgrade()
    yield database
    database.dispose()


def dump(database: Database) -> Tables:
    """Every row in id order, without the id: a COPY stopped by an already stored row has used identity values."""
    with database.engine.connect() as conn:
        return {t: [tuple(r)[1:] for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in TABLES}


def clear(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))


def both_paths(database: Database, scenario: Scenario, *, batch_size: int = 3) -> tuple[Tables, Tables]:
    """The tables after ``scenario`` through executemany, then (from empty again) through COPY."""
    results = []
    for use_copy in (False, True):
        clear(database)
        repo = SqlMarketDataRepository(database, batch_size=batch_size, use_copy=use_copy)
        assert repo.uses_copy is use_copy
        asyncio.run(scenario(repo))
        results.append(dump(database))
    return results[0], results[1]


def trade(trade_id: str, ts_ns: int, price: str = "65000.5", ref: InstrumentRef = BTC) -> TradeTick:
    return TradeTick(ref, trade_id, Decimal(price), Decimal("0.001"), Side.BUY, ts_ns)


def book(seq: int, ref: InstrumentRef = BTC, asks: int = 2) -> BookSnapshot:
    bids = ((Decimal("65000.5"), Decimal("1.25")), (Decimal("65000"), Decimal("0.000000000000000001")))
    ask_levels = tuple((Decimal("65001") + i, Decimal("3.10")) for i in range(asks))
    return BookSnapshot(ref, seq, bids, ask_levels, T0 + seq)


def test_copy_stores_the_same_rows_as_executemany_including_skipped_duplicates(pg_database: Database) -> None:
    prices = ["65000.5", "0.000000000000000001", "99999999999999999999.999999999999999999", "-12.30", "7E+3"]
    first = [trade(f"t{i}", T0 + i // 3, prices[i % len(prices)]) for i in range(20)]  # three trades per ts_ns
    first.append(first[4])  # a duplicate inside the batch

    async def scenario(repo: SqlMarketDataRepository) -> None:
        await repo.add_trades(first)
        await repo.add_trades([*first[10:], trade("t20", T0 + 99), trade("odd\t\\", T0, ref=ODD)])  # redelivered
        await repo.add_books([book(1), book(2, asks=0), book(1), book(3, ODD)])
        await repo.add_books([book(2), book(4)])
        await repo.add_mids([MidPrice(ODD, Decimal("1.5"), Decimal("1"), Decimal("2.00"), T0 + i) for i in range(4)])

    executemany, copy = both_paths(pg_database, scenario)

    assert copy == executemany
    assert [len(copy[t]) for t in TABLES] == [22, 4, 4]
    assert copy["market_trades"][-1][1:3] == ("linear", "BTC\tUSDT\n\\N")


def test_any_sequence_of_trade_batches_stores_the_same_on_both_paths(pg_database: Database) -> None:
    prices = st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9)
    trades = st.builds(trade, st.sampled_from(["a", "b", "c\t", "d\\"]), st.integers(T0, T0 + 3), prices.map(str))

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(batches=st.lists(st.lists(trades, min_size=1, max_size=8), min_size=1, max_size=3))
    def check(batches: list[list[TradeTick]]) -> None:
        async def scenario(repo: SqlMarketDataRepository) -> None:
            for batch in batches:
                await repo.add_trades(batch)

        executemany, copy = both_paths(pg_database, scenario)
        assert copy == executemany

    check()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("trades", "trade 'bad' price: 1E-19 has 19 decimal places"),
        ("books", r"book seq 9 asks\[0\] qty: expected Decimal, got float"),
        ("mids", "mid at 7 best_bid: NaN is not a finite number"),
    ],
)
async def test_a_malformed_batch_is_refused_whole_on_the_copy_path(
    pg_database: Database, kind: str, message: str
) -> None:
    repo = SqlMarketDataRepository(pg_database, batch_size=2)
    assert repo.uses_copy
    adds: dict[str, Callable[[], Awaitable[None]]] = {
        "trades": lambda: repo.add_trades([*(trade(f"t{i}", T0 + i) for i in range(5)), trade("bad", T0, "1E-19")]),
        "books": lambda: repo.add_books(
            [book(1), book(2), BookSnapshot(BTC, 9, (), ((Decimal(1), 0.5),), T0)]  # type: ignore[arg-type]
        ),
        "mids": lambda: repo.add_mids(
            [
                MidPrice(BTC, Decimal(1), Decimal(1), Decimal(1), 6),
                MidPrice(BTC, Decimal(1), Decimal("NaN"), Decimal(1), 7),
            ]
        ),
    }

    with pytest.raises((ValueError, TypeError), match=message):
        await adds[kind]()

    assert dump(pg_database) == {t: [] for t in TABLES}


async def test_a_batch_postgresql_refuses_mid_copy_stores_nothing_and_the_next_batch_goes_in(
    pg_database: Database,
) -> None:
    repo = SqlMarketDataRepository(pg_database)
    good = [trade(f"t{i}", T0 + i) for i in range(5)]

    with pytest.raises(DataError):  # PostgreSQL text cannot hold NUL; the check is the server's (or psycopg's)
        await repo.add_trades([*good, trade("nul\x00", T0)])
    assert dump(pg_database)["market_trades"] == []

    await repo.add_trades(good)  # the failed transaction left nothing behind
    assert [t.trade_id for t in await repo.trades(BTC)] == [f"t{i}" for i in range(5)]
