"""SqlTwapRepository: the TwapRepository port on SQLAlchemy; blocking work runs in ``asyncio.to_thread``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, false, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.adapters.store.rows import fill_from_row, job_from_row, slice_from_row
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import DEFAULT_BATCH, SqlLogRepository
from tradewind.adapters.store.sqlalchemy.tables import logs as logs_table
from tradewind.adapters.store.sqlalchemy.twap_tables import twap_fills, twap_jobs, twap_slices
from tradewind.application.ports.repositories import LogRecord
from tradewind.application.ports.twap import JobExists
from tradewind.domain.ids import JobId
from tradewind.domain.twap.codec import spec_to_payload
from tradewind.domain.twap.job import JobStatus, SliceRecord, TwapJob
from tradewind.domain.twap.report import FillRow

_PROGRESS = ("plan", "next_index", "dispatched", "filled_qty", "arrival_price")
_CONTROL = ("status", "paused_ns", "start_ns", "reason", "end_ns")
_FINISH = ("status", "reason", "end_ns")

# The statements of a slice's hot path, built once with bound parameters: building a statement costs more
# CPU than SQLite takes to run it (a one-hour, 60-slice job runs some 14 statements per slice).
_JOB_BY_ID = select(twap_jobs).where(twap_jobs.c.job_id == bindparam("key_job_id"))
_JOBS_BY_STATUS = (
    select(twap_jobs)
    .where(twap_jobs.c.status == bindparam("key_status"))
    .order_by(twap_jobs.c.created_ns, twap_jobs.c.job_id)
)
_SAVE_PROGRESS = update(twap_jobs).where(twap_jobs.c.job_id == bindparam("key_job_id"))
_SLICE_KEY = (
    (twap_slices.c.job_id == bindparam("key_job_id"))
    & (twap_slices.c.slice_index == bindparam("key_index"))
    & (twap_slices.c.attempt == bindparam("key_attempt"))
)
_UPDATE_SLICE = update(twap_slices).where(_SLICE_KEY)
_INSERT_SLICE = insert(twap_slices)
_FILL_IDS = select(twap_fills.c.trade_id).where(twap_fills.c.job_id == bindparam("key_job_id"))


def _job_row(job: TwapJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "exchange": job.spec.exchange,
        "category": job.spec.category.value,
        "symbol": job.spec.symbol,
        "side": job.spec.side.value,
        "status": job.status.value,
        "spec": spec_to_payload(job.spec),
        "total_qty": job.total_qty,
        "qty_step": job.qty_step,
        "plan": list(job.plan),
        "offsets_ns": list(job.offsets_ns),
        "start_ns": job.start_ns,
        "created_ns": job.created_ns,
        "next_index": job.next_index,
        "dispatched": job.dispatched,
        "filled_qty": job.filled_qty,
        "arrival_price": job.arrival_price,
        "reason": job.reason,
        "paused_ns": job.paused_ns,
        "end_ns": job.end_ns,
        "order_tag": job.order_tag,
        "archived": job.archived,
        "tick_size": job.tick_size,
    }


def _slice_row(record: SliceRecord) -> dict[str, Any]:
    return {
        "job_id": record.job_id,
        "slice_index": record.index,
        "attempt": record.attempt,
        "client_order_id": record.client_order_id,
        "status": record.status.value,
        "target_qty": record.target_qty,
        "order_type": record.order_type,
        "price": record.price,
        "tif": record.tif,
        "ts_ns": record.ts_ns,
        "filled_qty": record.filled_qty,
        "avg_price": record.avg_price,
        "fee": record.fee,
        "market_price": record.market_price,
        "note": record.note,
    }


class SqlTwapRepository:
    """TWAP jobs, slices and fills in the ``twap_*`` tables."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_job(self, job: TwapJob) -> None:
        def write() -> None:
            try:
                with self._db.engine.begin() as conn:
                    conn.execute(insert(twap_jobs), [_job_row(job)])
            except IntegrityError:
                raise JobExists(f"a TWAP job with id {job.job_id!r} already exists") from None

        await asyncio.to_thread(write)

    async def get_job(self, job_id: JobId) -> TwapJob | None:
        rows = await asyncio.to_thread(self._fetch, _JOB_BY_ID, {"key_job_id": job_id})
        return job_from_row(rows[0]) if rows else None

    async def list_jobs(self, status: JobStatus | None = None, *, archived: bool = True) -> list[TwapJob]:
        if status is not None:
            rows = await asyncio.to_thread(self._fetch, _JOBS_BY_STATUS, {"key_status": status.value})
            return [job for job in map(job_from_row, rows) if archived or not job.archived]
        query = select(twap_jobs).order_by(twap_jobs.c.created_ns, twap_jobs.c.job_id)
        if not archived:
            query = query.where(twap_jobs.c.archived == false())
        return [job_from_row(r) for r in await asyncio.to_thread(self._fetch, query)]

    async def archive(self, job_id: JobId) -> bool:
        def write() -> bool:
            final = twap_jobs.c.status.notin_([JobStatus.RUNNING.value, JobStatus.PAUSED.value])
            where = (twap_jobs.c.job_id == job_id) & final & (twap_jobs.c.archived == false())
            with self._db.engine.begin() as conn:
                return bool(conn.execute(update(twap_jobs).where(where).values(archived=True)).rowcount == 1)

        return await asyncio.to_thread(write)

    async def save_job(self, job: TwapJob, logs: Sequence[LogRecord] = ()) -> None:
        def work(conn: Connection) -> None:
            self._save(conn, job)
            _add_logs(conn, logs)

        await asyncio.to_thread(self._in_tx, work)

    async def record_slice(self, record: SliceRecord, job: TwapJob | None = None) -> None:
        def work(conn: Connection) -> None:
            self._upsert_slice(conn, record)
            if job is not None:
                self._save(conn, job)

        await asyncio.to_thread(self._in_tx, work)

    async def finish_slice(
        self, record: SliceRecord, fills: Sequence[FillRow], job: TwapJob, logs: Sequence[LogRecord] = ()
    ) -> None:
        def work(conn: Connection) -> None:
            self._upsert_slice(conn, record)
            known = set(conn.execute(_FILL_IDS, {"key_job_id": record.job_id}).scalars())
            rows = [
                {
                    "job_id": record.job_id,
                    "trade_id": trade_id,
                    "slice_index": f.slice_index,
                    "ts_ns": f.ts_ns,
                    "qty": f.qty,
                    "price": f.price,
                    "fee": f.fee,
                }
                for trade_id, f in _keyed(record, fills)
                if trade_id not in known
            ]
            for start in range(0, len(rows), DEFAULT_BATCH):
                conn.execute(insert(twap_fills), rows[start : start + DEFAULT_BATCH])
            self._save(conn, job)
            _add_logs(conn, logs)

        await asyncio.to_thread(self._in_tx, work)

    async def slices(self, job_id: JobId, index: int | None = None) -> list[SliceRecord]:
        query = (
            select(twap_slices)
            .where(twap_slices.c.job_id == job_id)
            .order_by(twap_slices.c.slice_index, twap_slices.c.attempt)
        )
        if index is not None:
            query = query.where(twap_slices.c.slice_index == index)
        return [slice_from_row(r) for r in await asyncio.to_thread(self._fetch, query)]

    async def fills(self, job_id: JobId) -> list[FillRow]:
        query = (
            select(twap_fills)
            .where(twap_fills.c.job_id == job_id)
            .order_by(twap_fills.c.ts_ns, twap_fills.c.slice_index, twap_fills.c.trade_id)
        )
        rows = await asyncio.to_thread(self._fetch, query)
        return [fill_from_row(r) for r in rows]

    def _fetch(self, query: Any, params: dict[str, Any] | None = None) -> list[Row[Any]]:
        with self._db.engine.connect() as conn:
            return list(conn.execute(query, params).all())

    def _in_tx(self, work: Any) -> None:
        with self._db.engine.begin() as conn:
            work(conn)

    async def set_control(self, job: TwapJob, expected: JobStatus) -> bool:
        def write() -> bool:
            row = _job_row(job)
            values = {k: row[k] for k in _CONTROL}
            where = (twap_jobs.c.job_id == job.job_id) & (twap_jobs.c.status == expected.value)
            with self._db.engine.begin() as conn:
                return bool(conn.execute(update(twap_jobs).where(where).values(**values)).rowcount == 1)

        return await asyncio.to_thread(write)

    @staticmethod
    def _save(conn: Connection, job: TwapJob) -> None:
        # Progress only: the user's pause/cancel (control columns) is never overwritten by a running slice.
        row = _job_row(job)
        done = conn.execute(_SAVE_PROGRESS, {"key_job_id": job.job_id, **{k: row[k] for k in _PROGRESS}})
        if done.rowcount != 1:
            raise KeyError(f"no TWAP job {job.job_id!r} to update")
        if job.status.is_final:
            key = twap_jobs.c.job_id == job.job_id
            live = twap_jobs.c.status.in_([JobStatus.RUNNING.value, JobStatus.PAUSED.value])
            conn.execute(update(twap_jobs).where(key & live).values(**{k: row[k] for k in _FINISH}))

    @staticmethod
    def _upsert_slice(conn: Connection, record: SliceRecord) -> None:
        row = _slice_row(record)
        key = {"key_job_id": record.job_id, "key_index": record.index, "key_attempt": record.attempt}
        if conn.execute(_UPDATE_SLICE, {**key, **row}).rowcount == 0:
            conn.execute(_INSERT_SLICE, [row])


def _keyed(record: SliceRecord, fills: Sequence[FillRow]) -> list[tuple[str, FillRow]]:
    # The exchange's trade id makes a fill stored twice (after a restart) a no-op.
    return [(f.trade_id or f"{record.client_order_id}:{n}", f) for n, f in enumerate(fills)]


def _add_logs(conn: Connection, records: Sequence[LogRecord]) -> None:
    if records:
        conn.execute(insert(logs_table), [SqlLogRepository.row(r) for r in records])
