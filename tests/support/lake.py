"""Market-data events for the lake tests, and reading a lake back (every file of a table, as one table)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from tradewind.domain.market import InstrumentRef, MidPrice, TradeTick
from tradewind.domain.values import Category, Side

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTCUSDT")
ETH = InstrumentRef("sim", Category.LINEAR, "ETHUSDT", "ETHUSDT")
DAY_NS = 86_400 * 10**9
T0 = 20_000 * DAY_NS  # 2024-10-04 00:00 UTC


def trade(i: int, ref: InstrumentRef = BTC, ts_ns: int | None = None, qty: str = "0.001") -> TradeTick:
    """The ``i``-th trade: id ``t<i>``, a price with many places, one ns apart (or at ``ts_ns``)."""
    return TradeTick(
        ref, f"t{i}", Decimal("65000.123456789012345678"), Decimal(qty), Side.BUY, T0 + i if ts_ns is None else ts_ns
    )


def mid(i: int, ref: InstrumentRef = BTC) -> MidPrice:
    return MidPrice(ref, Decimal("100.05"), Decimal("100"), Decimal("100.1"), T0 + i)


def read_table(filesystem: pafs.FileSystem, base: str, table: str) -> pa.Table:
    """Every file of ``table`` under the lake ``base`` with its Hive partition columns."""
    return ds.dataset(f"{base}/{table}", filesystem=filesystem, format="parquet", partitioning="hive").to_table()


def files(filesystem: pafs.FileSystem, base: str, table: str) -> list[str]:
    selector = pafs.FileSelector(f"{base}/{table}", recursive=True, allow_not_found=True)
    return sorted(i.path for i in filesystem.get_file_info(selector) if i.type == pafs.FileType.File)
