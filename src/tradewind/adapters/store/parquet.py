"""Parquet export of the market-data tables, Hive-partitioned by instrument and day.

Layout: ``<dest>/<table>/exchange=<x>/category=<c>/symbol=<s>/date=YYYY-MM-DD/part-<i>.parquet``.
Prices and sizes are decimal128(38, 18) (exact), times timestamp[ns, UTC]; pyarrow, pandas,
polars, DuckDB and Spark read it as is. Re-exporting replaces the (instrument, day) partitions it
writes to, so export whole days: a window starting mid-day leaves only that part of the day.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from sqlalchemy import Row, Table, select

from tradewind.adapters.store.sqlalchemy.columns import ns_to_datetime
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.tables import book_snapshots, market_candles, market_mids, market_trades

MONEY = pa.decimal128(38, 18)
TIMESTAMP = pa.timestamp("ns", tz="UTC")
LEVELS = pa.list_(pa.struct([("price", MONEY), ("qty", MONEY)]))
PARTITIONS = pa.schema(
    [("exchange", pa.string()), ("category", pa.string()), ("symbol", pa.string()), ("date", pa.string())]
)
_NS_PER_DAY = 86_400 * 1_000_000_000
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class _Spec:
    table: Table
    columns: pa.Schema  # data columns, after the partition columns
    convert: Callable[[str, Sequence[Any]], list[Any]]  # column name, raw values -> arrow-ready values


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Rows written per table and every file created."""

    rows: Mapping[str, int]
    files: tuple[str, ...]

    def items(self) -> ItemsView[str, int]:
        """(table, rows written) pairs."""
        return self.rows.items()


def _levels(raw: Sequence[Any]) -> list[Any]:
    return [[{"price": Decimal(p), "qty": Decimal(q)} for p, q in side] for side in raw]


def _plain(_name: str, values: Sequence[Any]) -> list[Any]:
    return list(values)


def _book(name: str, values: Sequence[Any]) -> list[Any]:
    return _levels(values) if name in ("bids", "asks") else list(values)


SPECS = (
    _Spec(
        market_trades,
        pa.schema(
            [
                ("ts", TIMESTAMP),
                ("trade_id", pa.string()),
                ("price", MONEY),
                ("qty", MONEY),
                ("taker_side", pa.string()),
                ("matching_key", pa.string()),
            ]
        ),
        _plain,
    ),
    _Spec(
        market_mids,
        pa.schema(
            [("ts", TIMESTAMP), ("mid", MONEY), ("best_bid", MONEY), ("best_ask", MONEY), ("matching_key", pa.string())]
        ),
        _plain,
    ),
    _Spec(
        book_snapshots,
        pa.schema(
            [("ts", TIMESTAMP), ("seq", pa.int64()), ("bids", LEVELS), ("asks", LEVELS), ("matching_key", pa.string())]
        ),
        _book,
    ),
    _Spec(
        market_candles,
        pa.schema(
            [
                ("ts", TIMESTAMP),  # the candle's start
                ("interval", pa.int32()),  # minutes
                ("open", MONEY),
                ("high", MONEY),
                ("low", MONEY),
                ("close", MONEY),
                ("volume", MONEY),
                ("turnover", MONEY),
                ("trades", pa.int64()),
                ("matching_key", pa.string()),
            ]
        ),
        _plain,
    ),
)


def export_parquet(
    database: Database,
    dest_dir: str | Path,
    start_ns: int | None = None,
    end_ns: int | None = None,
    *,
    chunk_rows: int = 50_000,
    filesystem: pafs.FileSystem | None = None,
) -> ExportResult:
    """Export rows with ``start_ns <= ts_ns < end_ns`` of every market-data table (blocking: use a thread)."""
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        raise ValueError(f"end_ns {end_ns} is before start_ns {start_ns}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    rows: dict[str, int] = {}
    files: list[str] = []
    for spec in SPECS:
        reader = _Reader(database, spec, start_ns, end_ns, chunk_rows)
        ds.write_dataset(
            reader.batches(),
            base_dir=str(Path(dest_dir) / spec.table.name) if filesystem is None else f"{dest_dir}/{spec.table.name}",
            schema=reader.schema,
            format="parquet",
            partitioning=ds.partitioning(PARTITIONS, flavor="hive"),
            basename_template="part-{i}.parquet",
            existing_data_behavior="delete_matching",
            filesystem=filesystem,
            file_visitor=lambda written: files.append(written.path),
        )
        rows[spec.table.name] = reader.rows
    return ExportResult(rows, tuple(sorted(files)))


class _Reader:
    """Streams one table's rows of the window as record batches, counting them."""

    def __init__(
        self, database: Database, spec: _Spec, start_ns: int | None, end_ns: int | None, chunk_rows: int
    ) -> None:
        self._db, self._spec, self._chunk = database, spec, chunk_rows
        self._start, self._end = start_ns, end_ns
        self.schema = pa.schema([*PARTITIONS, *spec.columns])
        self.rows = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        t = self._spec.table
        data = (t.c[n] if n != "ts" else t.c.ts_ns for n in self._spec.columns.names)
        query = select(t.c.exchange, t.c.category, t.c.symbol, *data)
        if self._start is not None:
            query = query.where(t.c.ts >= ns_to_datetime(self._start), t.c.ts_ns >= self._start)
        if self._end is not None:
            query = query.where(t.c.ts <= ns_to_datetime(self._end), t.c.ts_ns < self._end)
        query = query.order_by(t.c.exchange, t.c.category, t.c.symbol, t.c.ts, t.c.ts_ns, t.c.id)
        days: dict[int, str] = {}
        with self._db.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=self._chunk).execute(query)
            for chunk in result.partitions(self._chunk):
                self.rows += len(chunk)
                yield _to_batch(chunk, self._spec, self.schema, days)


def _to_batch(chunk: Sequence[Row[Any]], spec: _Spec, schema: pa.Schema, days: dict[int, str]) -> pa.RecordBatch:
    columns = list(zip(*chunk, strict=True))
    ts_ns: Sequence[int] = columns[3]
    dates = [days.get(ns // _NS_PER_DAY) or days.setdefault(ns // _NS_PER_DAY, day_of(ns)) for ns in ts_ns]
    arrays = [
        pa.array(columns[0], pa.string()),
        pa.array(columns[1], pa.string()),
        pa.array(columns[2], pa.string()),
        pa.array(dates, pa.string()),
    ]
    for offset, field in enumerate(spec.columns):
        arrays.append(pa.array(spec.convert(field.name, columns[3 + offset]), field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def day_of(ts_ns: int) -> str:
    """The UTC date of an epoch-ns time, as the ``date=`` partition spells it."""
    return (_EPOCH + timedelta(days=ts_ns // _NS_PER_DAY)).isoformat()
