"""Candles in SqlMarketDataRepository on SQLite and PostgreSQL: exact, per interval, windowed, a repeat a no-op."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.tables import market_candles
from tradewind.domain.candles import MINUTE_MS, Candle
from tradewind.domain.market import InstrumentRef
from tradewind.domain.values import Category

D = Decimal
T0_MS = 1_767_225_600_000
BTC = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTCUSDT")
ETH = InstrumentRef("sim", Category.LINEAR, "ETHUSDT", "ETHUSDT")


def candle(i: int, ref: InstrumentRef = BTC, minutes: int = 1, close: str = "65000.123456789012345678") -> Candle:
    c = D(close) + i
    return Candle(ref, minutes, T0_MS + i * minutes * MINUTE_MS, c - 1, c + 1, c - 2, c, D("0.000001"), c * 2, i)


def count(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(market_candles)).scalar_one()


async def test_candles_come_back_exactly_per_market_and_interval_oldest_first(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    ones = [candle(i) for i in range(5)]
    await repo.add_candles([*reversed(ones), candle(0, minutes=5), candle(0, ref=ETH)])

    assert await repo.candles(BTC, 1) == ones
    assert await repo.candles(BTC, 5) == [candle(0, minutes=5)]
    assert await repo.candles(ETH, 1) == [candle(0, ref=ETH)]
    window = await repo.candles(BTC, 1, (T0_MS + MINUTE_MS) * 1_000_000, (T0_MS + 3 * MINUTE_MS) * 1_000_000)
    assert window == ones[1:3]
    assert await repo.candles(BTC, 1, limit=2) == ones[:2]


async def test_a_candle_stored_again_is_a_no_op_the_first_stays(database: Database) -> None:
    repo = SqlMarketDataRepository(database)
    await repo.add_candles([candle(0), candle(1)])
    await repo.add_candles([candle(1, close="7"), candle(2)])  # a redelivered start, and a new one

    assert count(database) == 3
    assert (await repo.candles(BTC, 1))[1] == candle(1)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Candle(BTC, 1, T0_MS + 1, D(1), D(1), D(1), D(1), D(0), D(0), 0), "not aligned"),
        (Candle(BTC, 1, T0_MS, D(1), D(1), D(2), D(1), D(0), D(0), 0), "prices out of order"),
        (Candle(BTC, 1, T0_MS, D(1), D(1), D(1), D(1), D("1e-19"), D(0), 0), "decimal places"),
    ],
)
async def test_a_bad_candle_is_refused_naming_it_and_nothing_of_its_batch_is_stored(
    database: Database, bad: Candle, message: str
) -> None:
    repo = SqlMarketDataRepository(database)
    with pytest.raises(ValueError, match=message):
        await repo.add_candles([candle(0), bad])
    assert count(database) == 0
