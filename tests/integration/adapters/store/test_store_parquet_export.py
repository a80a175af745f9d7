"""Parquet export: Hive partitions by instrument and day, exact decimals, read back by four engines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tradewind.adapters.store.parquet import export_parquet
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.domain.candles import Candle
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

DAY = 86_400 * 10**9
T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
BTC_PERP = InstrumentRef("sim", Category.LINEAR, "BTCUSDT", "BTC")


def trades() -> list[TradeTick]:
    # Two instruments over two days, with prices that a float64 would not hold.
    out = []
    for i in range(40):
        ref = BTC if i % 2 else BTC_PERP
        ts = T0 + (i // 20) * DAY + i * 1_000_000_123
        price = Decimal("65000.123456789012345678") + i
        out.append(TradeTick(ref, f"t{i}", price, Decimal("0.000000000000000001") * (i + 1), Side.BUY, ts))
    return out


async def fill(database: Database) -> SqlMarketDataRepository:
    repo = SqlMarketDataRepository(database)
    await repo.add_trades(trades())
    await repo.add_mids([MidPrice(BTC, Decimal("65000.05"), Decimal("65000"), Decimal("65000.1"), T0 + 5)])
    await repo.add_books(
        [BookSnapshot(BTC, 9, ((Decimal("65000"), Decimal("1.5")),), ((Decimal("65000.1"), Decimal("0.25")),), T0 + 7)]
    )
    return repo


def expected_trades() -> list[tuple[str, str, str, int, Decimal, Decimal]]:
    return sorted((t.ref.category.value, t.ref.symbol, t.trade_id, t.ts_ns, t.price, t.qty) for t in trades())


async def test_export_writes_hive_partitions_per_instrument_and_day(database: Database, tmp_path: Path) -> None:
    await fill(database)

    result = export_parquet(database, tmp_path)

    assert dict(result.items()) == {"market_trades": 40, "market_mids": 1, "book_snapshots": 1, "market_candles": 0}
    partitions = {str(Path(f).parent.relative_to(tmp_path / "market_trades")) for f in result.files if "trades" in f}
    assert partitions == {
        f"exchange=sim/category={c}/symbol=BTCUSDT/date={d}"
        for c in ("spot", "linear")
        for d in ("2026-01-01", "2026-01-02")
    }
    schema = pq.read_schema(next(f for f in result.files if "market_trades" in f))
    assert schema.field("price").type == pa.decimal128(38, 18)
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")


async def test_pyarrow_pandas_polars_and_duckdb_read_the_exact_rows(database: Database, tmp_path: Path) -> None:
    await fill(database)
    export_parquet(database, tmp_path)
    base = tmp_path / "market_trades"
    glob = str(base / "**" / "*.parquet")

    table = ds.dataset(base, format="parquet", partitioning="hive").to_table()
    columns = [table.column(n).to_pylist() for n in ("category", "symbol", "trade_id")]
    columns += [table.column("ts").cast(pa.int64()).to_pylist()]
    columns += [table.column(n).to_pylist() for n in ("price", "qty")]
    by_arrow = sorted(zip(*columns, strict=True))
    frame = pd.read_parquet(base)
    by_pandas = sorted(
        (str(r.category), str(r.symbol), r.trade_id, r.ts.value, r.price, r.qty) for r in frame.itertuples()
    )
    pl_frame = pl.read_parquet(glob, hive_partitioning=True)
    by_polars = sorted(
        (r["category"], r["symbol"], r["trade_id"], r["ts_ns"], r["price"], r["qty"])
        for r in pl_frame.with_columns(pl.col("ts").dt.epoch("ns").alias("ts_ns")).to_dicts()
    )
    with duckdb.connect() as con:
        by_duckdb = sorted(
            con.execute(
                f"SELECT category, symbol, trade_id, epoch_ns(ts), price, qty "
                f"FROM read_parquet('{glob}', hive_partitioning = true)"
            ).fetchall()
        )
        total = con.execute(f"SELECT sum(price) FROM read_parquet('{glob}')").fetchall()

    assert by_arrow == expected_trades()
    assert by_pandas == expected_trades()
    assert by_polars == expected_trades()
    assert by_duckdb == expected_trades()
    assert total == [(sum(t.price for t in trades()),)]


async def test_books_keep_levels_as_exact_decimal_structs(database: Database, tmp_path: Path) -> None:
    await fill(database)
    export_parquet(database, tmp_path)

    rows = ds.dataset(tmp_path / "book_snapshots", format="parquet", partitioning="hive").to_table().to_pylist()

    assert [(r["seq"], r["bids"], r["asks"]) for r in rows] == [
        (
            9,
            [{"price": Decimal("65000"), "qty": Decimal("1.5")}],
            [{"price": Decimal("65000.1"), "qty": Decimal("0.25")}],
        )
    ]


async def test_a_window_exports_only_its_rows_and_a_re_export_replaces_them(
    sqlite_database: Database, tmp_path: Path
) -> None:
    await fill(sqlite_database)

    first = export_parquet(sqlite_database, tmp_path, start_ns=T0 + DAY, end_ns=T0 + 2 * DAY)
    again = export_parquet(sqlite_database, tmp_path, start_ns=T0 + DAY, end_ns=T0 + 2 * DAY)

    assert first.rows["market_trades"] == again.rows["market_trades"] == 20
    table = ds.dataset(tmp_path / "market_trades", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 20
    assert set(table.column("date").to_pylist()) == {"2026-01-02"}
    assert first.rows["market_mids"] == 0 and not (tmp_path / "market_mids").exists()


def test_a_reversed_window_is_refused(sqlite_database: Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="end_ns 1 is before start_ns 2"):
        export_parquet(sqlite_database, tmp_path, start_ns=2, end_ns=1)
    assert not (tmp_path / "market_trades").exists()


async def test_candles_are_exported_exactly_partitioned_by_instrument_and_day(
    database: Database, tmp_path: Path
) -> None:
    repo = SqlMarketDataRepository(database)
    price = Decimal("65000.123456789012345678")
    candles = [
        Candle(
            BTC,
            minutes,
            (T0 + DAY * day) // 1_000_000,
            price,
            price + 1,
            price - 1,
            price,
            Decimal("0.5"),
            price / 2,
            7,
        )
        for minutes in (1, 60)
        for day in (0, 1)
    ]
    await repo.add_candles(candles)

    result = export_parquet(database, tmp_path)
    table = ds.dataset(tmp_path / "market_candles", format="parquet", partitioning="hive").to_table()

    assert result.rows["market_candles"] == 4
    rows = sorted(
        zip(*(table.column(n).to_pylist() for n in ("date", "interval", "open", "low", "trades")), strict=True)
    )
    assert rows == [
        (d, m, price, price - 1, 7) for d in ("2026-01-01", "2026-01-02") for m in (1, 60)
    ]  # fmt: skip
    assert table.schema.field("open").type == pa.decimal128(38, 18)
