"""Stored rows to domain objects: the ONE mapping the SQLAlchemy repositories and the DB-API readers share.

A row is anything with the table's column names as attributes (a SQLAlchemy ``Row``, a named tuple from the driver)
whose cells are already decoded as the column types decode them (Decimals, JSON, ints, booleans).
"""

from __future__ import annotations

from typing import Any

from tradewind.application.ports.repositories import LogRecord
from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.market import InstrumentRef, MidPrice
from tradewind.domain.twap.codec import spec_from_payload
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.report import FillRow
from tradewind.domain.values import Category

# The columns each reader selects, in the order the DB-API readers name them (SQLAlchemy selects by table).
JOB_COLUMNS = (
    "job_id", "exchange", "category", "symbol", "side", "status", "spec", "total_qty", "qty_step", "plan", "offsets_ns",
    "start_ns", "created_ns", "next_index", "dispatched", "filled_qty", "arrival_price", "reason", "paused_ns",
    "end_ns", "order_tag", "archived", "tick_size",
)  # fmt: skip
SLICE_COLUMNS = (
    "job_id", "slice_index", "attempt", "client_order_id", "status", "target_qty", "order_type", "price", "tif",
    "ts_ns", "filled_qty", "avg_price", "fee", "market_price", "note",
)  # fmt: skip
FILL_COLUMNS = ("job_id", "trade_id", "slice_index", "ts_ns", "qty", "price", "fee")
LOG_COLUMNS = ("ts_ns", "level", "event", "logger", "job_id", "fields")
MID_COLUMNS = ("exchange", "category", "symbol", "matching_key", "mid", "best_bid", "best_ask", "ts_ns")


def job_from_row(row: Any) -> TwapJob:
    """A ``twap_jobs`` row as its job."""
    return TwapJob(
        job_id=JobId(row.job_id),
        spec=spec_from_payload(dict(row.spec)),
        total_qty=row.total_qty,
        qty_step=row.qty_step,
        plan=tuple(int(x) for x in row.plan),
        offsets_ns=tuple(int(x) for x in row.offsets_ns),
        start_ns=row.start_ns,
        created_ns=row.created_ns,
        status=JobStatus(row.status),
        next_index=row.next_index,
        dispatched=row.dispatched,
        filled_qty=row.filled_qty,
        arrival_price=row.arrival_price,
        reason=row.reason,
        paused_ns=row.paused_ns,
        end_ns=row.end_ns,
        order_tag=row.order_tag,
        archived=bool(row.archived),
        tick_size=row.tick_size,
    )


def slice_from_row(row: Any) -> SliceRecord:
    """A ``twap_slices`` row as its slice record."""
    return SliceRecord(
        job_id=JobId(row.job_id),
        index=row.slice_index,
        attempt=row.attempt,
        client_order_id=None if row.client_order_id is None else ClientOrderId(row.client_order_id),
        status=SliceStatus(row.status),
        target_qty=row.target_qty,
        order_type=row.order_type,
        price=row.price,
        tif=row.tif,
        ts_ns=row.ts_ns,
        filled_qty=row.filled_qty,
        avg_price=row.avg_price,
        fee=row.fee,
        market_price=row.market_price,
        note=row.note,
    )


def fill_from_row(row: Any) -> FillRow:
    """A ``twap_fills`` row as the report's fill."""
    return FillRow(row.slice_index, row.ts_ns, row.qty, row.price, row.fee, row.trade_id)


def log_from_row(row: Any) -> LogRecord:
    """A ``logs`` row as its record."""
    return LogRecord(row.ts_ns, row.level, row.event, row.logger, row.job_id, row.fields)


class Refs:
    """One InstrumentRef per distinct instrument of a result, instead of one per row."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str, str], InstrumentRef] = {}

    def __call__(self, row: Any) -> InstrumentRef:
        key = (row.exchange, row.category, row.symbol, row.matching_key)
        ref = self._seen.get(key)
        if ref is None:
            ref = self._seen[key] = InstrumentRef(key[0], Category(key[1]), key[2], key[3])
        return ref


def mids_from_rows(rows: Any) -> list[MidPrice]:
    """``market_mids`` rows as mids, oldest first as selected."""
    ref_of = Refs()
    return [MidPrice(ref_of(r), r.mid, r.best_bid, r.best_ask, r.ts_ns) for r in rows]
