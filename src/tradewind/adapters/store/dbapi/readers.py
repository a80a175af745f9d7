"""The TWAP reader's ports over a read-only DB-API connection: the SQLAlchemy repositories' SELECTs as SQL text.

Cells are decoded as the SQLAlchemy column types decode them (``ExactDecimal``: canonical Decimals; ``Json``: text
on SQLite, already decoded from jsonb on PostgreSQL), then mapped by the same functions as there (``store/rows.py``).
An equivalence test writes through SQLAlchemy and reads both ways on both databases.
"""

from __future__ import annotations

import asyncio
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tradewind.adapters.store.dbapi.connection import DbapiDatabase
from tradewind.adapters.store.decimals import ns_to_datetime, stored_decimal
from tradewind.adapters.store.rows import (
    FILL_COLUMNS,
    JOB_COLUMNS,
    LOG_COLUMNS,
    MID_COLUMNS,
    SLICE_COLUMNS,
    fill_from_row,
    job_from_row,
    log_from_row,
    mids_from_rows,
    slice_from_row,
)
from tradewind.adapters.store.settings import StorageError
from tradewind.application.ports.repositories import LogRecord
from tradewind.domain.ids import JobId
from tradewind.domain.market import InstrumentRef, MidPrice
from tradewind.domain.twap.job import JobStatus, SliceRecord, TwapJob
from tradewind.domain.twap.report import FillRow
from tradewind.domain.values import Category

_DECIMAL = "decimal"
_JSON = "json"
_KINDS = {  # the columns whose type decodes: ExactDecimal and Json (the others come out of both drivers as they are)
    **dict.fromkeys(
        ("total_qty", "qty_step", "filled_qty", "arrival_price", "tick_size", "target_qty", "price", "avg_price",
         "fee", "market_price", "qty", "mid", "best_bid", "best_ask"), _DECIMAL,
    ),
    **dict.fromkeys(("spec", "plan", "offsets_ns", "fields"), _JSON),
}  # fmt: skip


def _json_text(value: Any) -> Any:
    return None if value is None else json.loads(value)


class _Table:
    """The selected columns of one table and, per backend, how each cell decodes into a named-tuple row."""

    def __init__(self, name: str, columns: tuple[str, ...]) -> None:
        self.columns = ", ".join(columns)
        row_type: Any = namedtuple(name, columns)  # type: ignore[misc]  # named from the column tuples
        self._make: Callable[[Iterable[Any]], Any] = row_type._make
        json_by_backend: dict[str, Callable[[Any], Any] | None] = {"sqlite": _json_text, "postgresql": None}
        self._decoders = {
            backend: [
                stored_decimal if _KINDS.get(c) == _DECIMAL else decode_json if _KINDS.get(c) == _JSON else None
                for c in columns
            ]
            for backend, decode_json in json_by_backend.items()
        }

    def rows(self, backend: str, raw: Sequence[tuple[Any, ...]]) -> list[Any]:
        decoders = self._decoders[backend]
        make = self._make
        return [make([v if f is None else f(v) for f, v in zip(decoders, r, strict=True)]) for r in raw]


_JOBS = _Table("twap_jobs", JOB_COLUMNS)
_SLICES = _Table("twap_slices", SLICE_COLUMNS)
_FILLS = _Table("twap_fills", FILL_COLUMNS)
_LOGS = _Table("logs", LOG_COLUMNS)
_MIDS = _Table("market_mids", MID_COLUMNS)


class _Reads:
    def __init__(self, database: DbapiDatabase) -> None:
        self._db = database

    async def _select(self, table: _Table, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raw = await asyncio.to_thread(self._db.fetch, sql.format(columns=table.columns), params)
        return table.rows(self._db.backend, raw)

    def _ts(self, ts_ns: int) -> Any:
        """The ``ts`` column's value for a bound: SQLite keeps SQLAlchemy's text form, PostgreSQL a timestamptz."""
        moment = ns_to_datetime(ts_ns)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self._db.backend == "sqlite" else moment

    def _time_conditions(self, start_ns: int | None, end_ns: int | None) -> tuple[list[str], list[Any]]:
        # As the repositories: the coarse ``ts`` bound uses the index, ``ts_ns`` makes it exact.
        where: list[str] = []
        params: list[Any] = []
        if start_ns is not None:
            where += ["ts >= ?", "ts_ns >= ?"]
            params += [self._ts(start_ns), start_ns]
        if end_ns is not None:
            where += ["ts <= ?", "ts_ns < ?"]
            params += [self._ts(end_ns), end_ns]
        return where, params


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"


class DbapiTwapReads(_Reads):
    """``TwapJobReads``: jobs, slices and fills from the ``twap_*`` tables, as ``SqlTwapRepository`` reads them."""

    async def get_job(self, job_id: JobId) -> TwapJob | None:
        rows = await self._select(_JOBS, "SELECT {columns} FROM twap_jobs WHERE job_id = ?", [job_id])
        return job_from_row(rows[0]) if rows else None

    async def list_jobs(self, status: JobStatus | None = None, *, archived: bool = True) -> list[TwapJob]:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        if not archived:
            where.append("archived = ?")
            params.append(False)
        sql = "SELECT {columns} FROM twap_jobs" + (" WHERE " + " AND ".join(where) if where else "")
        rows = await self._select(_JOBS, sql + " ORDER BY created_ns, job_id", params)
        return [job_from_row(r) for r in rows]

    async def slices(self, job_id: JobId, index: int | None = None) -> list[SliceRecord]:
        sql = "SELECT {columns} FROM twap_slices WHERE job_id = ?"
        params: list[Any] = [job_id]
        if index is not None:
            sql += " AND slice_index = ?"
            params.append(index)
        rows = await self._select(_SLICES, sql + " ORDER BY slice_index, attempt", params)
        return [slice_from_row(r) for r in rows]

    async def fills(self, job_id: JobId) -> list[FillRow]:
        sql = "SELECT {columns} FROM twap_fills WHERE job_id = ? ORDER BY ts_ns, slice_index, trade_id"
        return [fill_from_row(r) for r in await self._select(_FILLS, sql, [job_id])]


class DbapiLogReads(_Reads):
    """``LogRepository`` for reading: the ``logs`` table as ``SqlLogRepository.query`` reads it; ``add`` refuses."""

    async def add(self, records: Sequence[LogRecord]) -> None:
        if records:
            raise StorageError("the reading twap verbs open the database read-only: no log row is written")

    async def query(
        self,
        *,
        job_id: str | None = None,
        logger: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]:
        where, params = self._time_conditions(start_ns, end_ns)
        if job_id is not None:
            where.append("job_id = ?")
            params.append(job_id)
        if logger is not None:
            where.append("logger = ?")
            params.append(logger)
        sql = "SELECT {columns} FROM logs" + (" WHERE " + " AND ".join(where) if where else "")
        rows = await self._select(_LOGS, sql + " ORDER BY ts, ts_ns, id" + _limit(limit), params)
        return [log_from_row(r) for r in rows]


class DbapiMidHistory(_Reads):
    """``MidHistory``: one market's stored mids, as ``SqlMarketDataRepository.mids`` reads them."""

    async def mids(
        self, ref: InstrumentRef, start_ns: int | None = None, end_ns: int | None = None, *, limit: int | None = None
    ) -> list[MidPrice]:
        where, params = self._time_conditions(start_ns, end_ns)
        where = ["exchange = ?", "category = ?", "symbol = ?", *where]
        params = [ref.exchange, Category(ref.category).value, ref.symbol, *params]
        sql = "SELECT {columns} FROM market_mids WHERE " + " AND ".join(where) + " ORDER BY ts, ts_ns, id"
        return mids_from_rows(await self._select(_MIDS, sql + _limit(limit), params))
