"""The lake's writer and compactor on a folder and on a real S3-compatible server (moto on loopback)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from tests.support.lake import BTC, DAY_NS, ETH, T0, files, mid, read_table, trade
from tests.support.s3 import S3Server
from tradewind.adapters.store.lake.filesystem import LakeRoot
from tradewind.adapters.store.lake.layout import KINDS, Partition
from tradewind.adapters.store.lake.store import JOURNALS, STAGING, ParquetLake, PartitionBusy

TRADES = KINDS["trade"]


@pytest.fixture(params=["folder", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> ParquetLake:
    if request.param == "folder":
        (tmp_path / "lake").mkdir()  # as open_root makes it
        return ParquetLake(LakeRoot(pafs.LocalFileSystem(), (tmp_path / "lake").as_posix(), local=True))
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return ParquetLake(LakeRoot(server.filesystem(), f"{bucket}/lake", local=False))


def ids(lake: ParquetLake) -> Counter[str]:
    return Counter(read_table(lake.root.filesystem, lake.root.base, "market_trades").column("trade_id").to_pylist())


def test_rows_land_in_hive_partitions_with_exact_decimals_and_ns_times(lake: ParquetLake) -> None:
    batch = [trade(1), trade(2, ETH), trade(3, ts_ns=T0 + DAY_NS + 5)]
    assert lake.write_sync(TRADES, batch).rows == 3
    lake.write_sync(KINDS["mid"], [mid(1)])

    table = read_table(lake.root.filesystem, lake.root.base, "market_trades").sort_by("trade_id")
    assert table.column("trade_id").to_pylist() == ["t1", "t2", "t3"]
    assert table.column("price").to_pylist() == [Decimal("65000.123456789012345678")] * 3
    assert table.column("ts").cast("int64").to_pylist() == [T0 + 1, T0 + 2, T0 + DAY_NS + 5]
    assert table.column("date").to_pylist() == ["2024-10-04", "2024-10-04", "2024-10-05"]
    assert table.column("symbol").to_pylist() == ["BTCUSDT", "ETHUSDT", "BTCUSDT"]
    assert len(files(lake.root.filesystem, lake.root.base, "market_trades")) == 3  # one per partition
    mids = read_table(lake.root.filesystem, lake.root.base, "market_mids")
    assert mids.column("mid").to_pylist() == [Decimal("100.05")]


def test_a_redelivered_batch_is_the_same_file_and_a_partly_new_one_adds_only_the_new_rows(lake: ParquetLake) -> None:
    first = lake.write_sync(TRADES, [trade(i) for i in range(10)])
    again = lake.write_sync(TRADES, [trade(i) for i in range(10)])
    mixed = lake.write_sync(TRADES, [trade(i) for i in (3, 7, 10, 11, 11)])  # two redelivered, two new, one twice

    assert (first.rows, again.rows, again.duplicates, mixed.rows, mixed.duplicates) == (10, 0, 10, 2, 3)
    assert ids(lake) == Counter(f"t{i}" for i in range(12))
    names = [Path(path).name for path in files(lake.root.filesystem, lake.root.base, "market_trades")]
    assert len(names) == 2 and all(name.startswith("part-") for name in names)


def test_the_file_name_is_derived_from_the_first_and_last_rows(lake: ParquetLake) -> None:
    written = lake.write_sync(TRADES, [trade(i) for i in (5, 2, 9)])  # any order: sorted before naming
    (path,) = written.files
    assert Path(path).name.startswith(f"part-{T0 + 2}-{T0 + 9}-")


def test_a_value_the_lake_cannot_hold_exactly_is_refused_by_name(lake: ParquetLake) -> None:
    fine = trade(1)
    too_fine = trade(2, qty="0.0000000000000000001")  # 19 places
    assert lake.refusal("md.trade", fine) is None
    assert lake.refusal("md.trade", too_fine) == "trade field 'qty' has 19 decimal places, more than 18"
    assert lake.refusal("md.candle", fine) == "the lake has no table for 'md.candle'"


def test_compaction_merges_a_partition_into_one_file_with_every_row_once(lake: ParquetLake) -> None:
    for start in range(0, 50, 10):
        lake.write_sync(TRADES, [trade(i) for i in range(start, start + 10)] + [trade(100 + start, ETH)])
    lake.write_sync(TRADES, [trade(3), trade(4)])  # a redelivery: nothing new

    result = lake.compact(date(2024, 10, 4), ["trade"])

    assert (result.partitions, result.files_merged, result.rows) == (2, 10, 55)
    names = [Path(p).name for p in files(lake.root.filesystem, lake.root.base, "market_trades")]
    assert len(names) == 2 and all(name.startswith("compact-") for name in names)
    assert ids(lake) == Counter([f"t{i}" for i in range(50)] + [f"t{i}" for i in range(100, 150, 10)])
    assert lake.compact(date(2024, 10, 4), ["trade"]).partitions == 0  # one file each: nothing to do
    lake.write_sync(TRADES, [trade(7), trade(60)])  # late rows after compaction: only the new one is added
    assert ids(lake)["t7"] == 1 and ids(lake)["t60"] == 1


def test_a_compaction_interrupted_after_its_journal_is_rolled_forward_and_the_sink_waits_for_it(
    lake: ParquetLake,
) -> None:
    for start in (0, 10):
        lake.write_sync(TRADES, [trade(i) for i in range(start, start + 10)])
    partition = Partition.of("market_trades", BTC, T0)
    fs = lake.root.filesystem
    real_roll_forward = lake._roll_forward
    lake._roll_forward = lambda p: None  # type: ignore[method-assign]  # the crash: journal written, nothing moved
    lake.compact(date(2024, 10, 4), ["trade"])
    lake._roll_forward = real_roll_forward  # type: ignore[method-assign]
    assert fs.get_file_info(lake.root.join(JOURNALS, partition.path + ".json")).type == pafs.FileType.File
    assert ids(lake) == Counter(f"t{i}" for i in range(20))  # the staged file is outside the table: no double count
    staged = files(fs, lake.root.base, STAGING)
    assert len(staged) == 1

    with pytest.raises(PartitionBusy):
        lake.write_sync(TRADES, [trade(25)])
    lake.compact(date(2024, 10, 4), ["trade"])  # the next run finishes it

    assert files(fs, lake.root.base, STAGING) == []
    assert [Path(p).name[:8] for p in files(fs, lake.root.base, "market_trades")] == ["compact-"]
    assert lake.write_sync(TRADES, [trade(5), trade(25)]).rows == 1
    assert ids(lake) == Counter(f"t{i}" for i in [*range(20), 25])


def test_ping_answers_for_the_lake_and_names_a_missing_bucket_or_folder(lake: ParquetLake, tmp_path: Path) -> None:
    lake.ping()
    missing = ParquetLake(LakeRoot(lake.root.filesystem, f"{tmp_path}/none" if lake.root.local else "no-bucket/x",
                                   local=lake.root.local))  # fmt: skip
    with pytest.raises(OSError, match="does not exist"):
        missing.ping()
