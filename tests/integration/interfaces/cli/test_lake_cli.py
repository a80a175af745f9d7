"""``tradewind lake compact`` and ``tradewind export-parquet s3://...`` as a user runs them."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pyarrow.fs as pafs

from tests.support.cli import QUIET, environment, failure_line, tradewind
from tests.support.lake import ETH, files, read_table, trade
from tests.support.s3 import S3Server
from tradewind.adapters.store.lake.filesystem import LakeRoot
from tradewind.adapters.store.lake.layout import KINDS
from tradewind.adapters.store.lake.store import ParquetLake
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository


def test_compact_merges_a_closed_day_and_refuses_an_open_one(tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    lake = ParquetLake(LakeRoot(pafs.LocalFileSystem(), folder.as_posix(), local=True))
    for start in range(0, 30, 10):
        lake.write_sync(KINDS["trade"], [trade(i) for i in range(start, start + 10)])
    env = environment(TRADEWIND_LAKE__PATH=str(folder), **QUIET)

    done = tradewind("lake", "compact", "--date", "2024-10-04", env=env, cwd=tmp_path)
    today = tradewind("lake", "compact", "--date", "2999-01-01", env=env, cwd=tmp_path)
    garbled = tradewind("lake", "compact", "--date", "04/10/2024", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2024-10-04: 3 files merged into 1 (30 rows)"
    assert [Path(p).name.split("-")[0] for p in files(lake.root.filesystem, lake.root.base, "market_trades")] == [
        "compact"
    ]
    assert "is not closed yet" in failure_line(today, 2)
    assert failure_line(garbled, 2) == "--date: expected YYYY-MM-DD, got '04/10/2024'"


def test_export_parquet_writes_the_lake_layout_to_an_s3_bucket(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    database = Database(url)
    database.upgrade()
    events = [trade(i) for i in range(5)] + [trade(9, ETH)]
    asyncio.run(SqlMarketDataRepository(database).add_trades(events))
    database.dispose()
    env = environment(TRADEWIND_STORAGE__URL=url, **s3_server.lake_env("unused"), **QUIET)

    done = tradewind("export-parquet", f"s3://{s3_bucket}/backfill", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "market_trades: 6 rows" in done.stdout
    table = read_table(s3_server.filesystem(), f"{s3_bucket}/backfill", "market_trades")
    assert Counter(table.column("trade_id").to_pylist()) == Counter(e.trade_id for e in events)
    assert set(table.column("symbol").to_pylist()) == {"BTCUSDT", "ETHUSDT"}
    assert table.column("price").type == KINDS["trade"].schema.field("price").type
