"""SqlMarketDataRepository on SQLite and PostgreSQL: exact decimals, order, windows, idempotence."""

from __future__ import annotations

import asyncio
import itertools
import random
from decimal import Context, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.tables import market_trades
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
BTC_PERP = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTC")
BTC_BYBIT = InstrumentRef("bybit", Category.SPOT, "BTCUSDT", "BTC")


def trade(i: int, ts_ns: int, ref: InstrumentRef = BTC, price: str = "65000.5") -> TradeTick:
    return TradeTick(ref, f"t{i}", Decimal(price), Decimal("0.001"), Side.BUY if i % 2 else Side.SELL, ts_ns)


def count_trades(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(market_trades)).scalar_one()


async def test_trades_come_back_exactly_and_oldest_first(database: Database) -> None:
    repo = SqlMarketDataRepository(database, batch_size=64)  # several executemany batches
    prices = ["65000.5", "0.000000000000000001", "99999999999999999999.999999999999999999", "-12.30", "7"]
    trades = [trade(i, T0 + i * 1_000_003, price=prices[i % len(prices)]) for i in range(250)]
    shuffled = random.Random(7).sample(trades, len(trades))

    await repo.add_trades(shuffled)
    got = await repo.trades(BTC)

    assert got == trades
    assert [t.price for t in got[:5]] == [Decimal(p) for p in prices]
    assert all(isinstance(t.price, Decimal) and isinstance(t.qty, Decimal) for t in got)


async def test_time_window_is_half_open_and_exact_to_the_nanosecond(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    # Five trades inside two microseconds: only ts_ns can tell them apart.
    offsets = [0, 1, 999, 1000, 1001]
    await repo.add_trades([trade(i, T0 + off) for i, off in enumerate(offsets)])

    window = await repo.trades(BTC, T0 + 1, T0 + 1000)
    from_start = await repo.trades(BTC, start_ns=T0 + 1000)
    until_end = await repo.trades(BTC, end_ns=T0 + 1)

    assert [t.ts_ns - T0 for t in window] == [1, 999]
    assert [t.ts_ns - T0 for t in from_start] == [1000, 1001]
    assert [t.ts_ns - T0 for t in until_end] == [0]
    assert [t.ts_ns - T0 for t in await repo.trades(BTC, limit=2)] == [0, 1]


async def test_same_symbol_on_another_category_or_exchange_is_kept_apart(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await repo.add_trades([trade(1, T0, BTC), trade(2, T0, BTC_PERP), trade(3, T0, BTC_BYBIT)])

    assert [t.trade_id for t in await repo.trades(BTC)] == ["t1"]
    assert [t.trade_id for t in await repo.trades(BTC_PERP)] == ["t2"]
    assert [t.ref for t in await repo.trades(BTC_BYBIT)] == [BTC_BYBIT]


async def test_a_redelivered_trade_is_stored_once(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    batch = [trade(i, T0 + i) for i in range(10)]

    await repo.add_trades(batch)
    await repo.add_trades([*batch[5:], trade(10, T0 + 10)])

    assert count_trades(database) == 11


async def test_a_redelivered_mid_is_stored_once_and_a_new_quote_at_the_same_instant_is_kept(
    database: Database,
) -> None:
    repo = SqlMarketDataRepository(database)
    mids = [
        MidPrice(BTC, Decimal("65000.25") + i, Decimal("65000") + i, Decimal("65000.50") + i, T0 + i) for i in range(4)
    ]
    await repo.add_mids(mids)
    await repo.add_mids(mids[2:])  # redelivered after a crash: ignored
    requote = MidPrice(BTC, Decimal("65000.30"), Decimal("65000.10"), Decimal("65000.50"), T0)  # same instant
    await repo.add_mids([requote])
    stored = await repo.mids(BTC)
    assert len(stored) == 5 and requote in stored and all(m in stored for m in mids)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"price": Decimal("0.0000000000000000001")}, "price: .* 19 decimal places"),
        ({"price": Decimal("123456789012345678901")}, "price: .* more than 20 integer digits"),
        ({"qty": 0.1}, "qty: expected Decimal, got float"),
        ({"price": Decimal("NaN")}, "price: NaN is not a finite number"),
        ({"ts_ns": -5}, "ts_ns must be a non-negative 64-bit integer"),
        ({"trade_id": ""}, "trade_id: expected a non-empty string"),
    ],
)
async def test_a_bad_trade_names_the_field_and_stores_nothing_of_its_batch(
    database: Database, bad: dict[str, object], message: str
) -> None:
    repo = SqlMarketDataRepository(database, batch_size=2)
    good = [trade(i, T0 + i) for i in range(5)]
    broken = TradeTick(**{**{f: getattr(good[0], f) for f in TradeTick.__slots__}, **bad})

    with pytest.raises((ValueError, TypeError), match=message):
        await repo.add_trades([*good, broken])

    assert count_trades(database) == 0


async def test_mids_round_trip_in_time_order_with_window_and_limit(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    mids = [
        MidPrice(BTC, Decimal("65000.25") + i, Decimal("65000") + i, Decimal("65000.50") + i, T0 + i * 10)
        for i in range(20)
    ]
    await repo.add_mids(list(reversed(mids)))

    assert await repo.mids(BTC) == mids
    assert await repo.mids(BTC, T0 + 50, T0 + 100) == mids[5:10]
    assert await repo.mids(BTC, limit=3) == mids[:3]
    assert await repo.mids(BTC_PERP) == []


async def test_book_snapshots_keep_levels_order_and_seq(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    books = [
        BookSnapshot(
            BTC,
            seq,
            bids=((Decimal("65000.5"), Decimal("1.25")), (Decimal("65000"), Decimal("0.000001"))),
            asks=((Decimal("65001"), Decimal("3")),) * (seq % 3),
            ts_ns=T0 + seq,
        )
        for seq in range(1, 8)
    ]
    await repo.add_books(books)
    await repo.add_books(books[:2])  # redelivered: ignored

    assert await repo.books(BTC) == books
    assert await repo.books(BTC, T0 + 3, T0 + 5) == books[2:4]


def test_any_number_numeric_38_18_holds_round_trips_exactly(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    wide = Context(prec=60)
    ids = itertools.count()
    representable = st.integers(-(10**38) + 1, 10**38 - 1).map(lambda n: Decimal(n).scaleb(-18, wide))
    short = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(prices=st.lists(st.one_of(representable, short), min_size=1, max_size=20))
    def check(prices: list[Decimal]) -> None:
        ref = InstrumentRef("prop", Category.SPOT, f"S{next(ids)}")
        trades = [TradeTick(ref, f"t{i}", p, p, Side.BUY, T0 + i) for i, p in enumerate(prices)]
        asyncio.run(repo.add_trades(trades))
        got = asyncio.run(repo.trades(ref))
        assert [(t.price, t.qty) for t in got] == [(p, p) for p in prices]

    check()
