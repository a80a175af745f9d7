"""TWAP outcomes rendered once for every front end: jobs and reports as JSON-able dicts, answers as one line,
and tables as column names plus rows of text (the CLI draws them with rich, a chat front end as monospace).

Prices print at the job's tick size and sizes at its lot step (:func:`at_step`), in every shape.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradewind.interfaces.render.numbers import BPS, at_step, maybe_at_step

if TYPE_CHECKING:  # the CLI loads this module for every verb; the TWAP workflow loads with the verbs that use it
    from tradewind.application.twap.service import JobView
    from tradewind.domain.twap.job import SliceRecord, TwapJob
    from tradewind.domain.twap.report import ExecutionReport

Rows = list[tuple[str, ...]]
JOB_COLUMNS = ("id", "status", "side", "symbol", "filled / total", "slice", "reason")
SLICE_COLUMNS = ("slice", "attempt", "status", "client order id", "target", "filled", "avg price", "note")
LOG_COLUMNS = ("ts_ns", "level", "event", "fields")


def _price(job: TwapJob, value: Decimal | None) -> str | None:
    return maybe_at_step(value, job.tick_size)


def _size(job: TwapJob, value: Decimal) -> str:
    return at_step(value, job.qty_step)


def job_json(job: TwapJob) -> dict[str, Any]:
    spec = job.spec
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "exchange": spec.exchange,
        "category": spec.category.value,
        "symbol": spec.symbol,
        "side": spec.side.value,
        "total": _size(job, job.total_qty),
        "filled": _size(job, job.filled_qty),
        "slices": job.slices,
        "next_slice": job.next_index,
        "limit_price": _price(job, spec.limit_price),
        "limit_policy": spec.limit_policy.value,
        "arrival_price": _price(job, job.arrival_price),
        "start_ns": job.start_ns,
        "end_ns": job.end_ns,
        "reason": job.reason,
        "archived": job.archived,
    }


def job_view_json(view: JobView) -> dict[str, Any]:
    """The job with its decision log."""
    log = [{"ts_ns": r.ts_ns, "level": r.level, "event": r.event, "fields": dict(r.fields)} for r in view.log]
    return {**job_json(view.job), "log": log}


def report_json(report: ExecutionReport, job: TwapJob) -> dict[str, Any]:
    """The report of ``job`` (whose tick size and lot step its numbers print at); fees exact, bps to 0.01."""
    return {
        "filled_qty": _size(job, report.filled_qty),
        "avg_price": _price(job, report.avg_price),
        "market_twap": _price(job, report.market_twap),
        "arrival_price": _price(job, report.arrival_price),
        "slippage_vs_twap_bps": maybe_at_step(report.slippage_vs_twap_bps, BPS),
        "slippage_vs_arrival_bps": maybe_at_step(report.slippage_vs_arrival_bps, BPS),
        "fees": at_step(report.fees, None),
        "slices": [
            {
                "index": s.index,
                "status": s.status,
                "target_qty": _size(job, s.target_qty),
                "filled_qty": _size(job, s.filled_qty),
                "avg_price": _price(job, s.avg_price),
                "fee": at_step(s.fee, None),
            }
            for s in report.slices
        ],
    }


def created_line(job: TwapJob) -> str:
    spec = job.spec
    total = _size(job, job.total_qty)
    return f"created TWAP job {job.job_id}: {spec.side.value} {total} {spec.symbol} in {job.slices} slices"


def status_line(job: TwapJob) -> str:
    return f"job {job.job_id} is {job.status.value}"


def progress_line(job: TwapJob, report: ExecutionReport, left_s: int) -> str:
    """What ``watch`` shows beside its bar."""
    avg = _price(job, report.avg_price) or "-"
    return f"{_size(job, job.filled_qty)}/{_size(job, job.total_qty)} avg {avg} left {left_s}s {job.status.value}"


def run_line(job: TwapJob, avg_price: Decimal | None) -> str:
    """One job's line while ``twap run`` executes it: filled of total, slices done, average price and status."""
    spec = job.spec
    filled = f"{_size(job, job.filled_qty)}/{_size(job, job.total_qty)}"
    avg = _price(job, avg_price) or "-"
    line = f"{job.job_id} {spec.side.value} {spec.symbol} {filled} slices {job.next_index}/{job.slices} avg {avg}"
    return f"{line} {job.status.value}" + (f" ({job.reason})" if job.reason and job.status.is_final else "")


def job_rows(jobs: list[TwapJob]) -> Rows:
    return [_job_row(job) for job in jobs]


def _job_row(job: TwapJob) -> tuple[str, ...]:
    return (
        job.job_id, job.status.value, job.spec.side.value, f"{job.spec.category.value}:{job.spec.symbol}",
        f"{_size(job, job.filled_qty)} / {_size(job, job.total_qty)}", f"{job.next_index}/{job.slices}", job.reason,
    )  # fmt: skip


def slice_rows(view: JobView) -> Rows:
    return [_slice_row(view.job, s) for s in view.slices]


def _slice_row(job: TwapJob, s: SliceRecord) -> tuple[str, ...]:
    return (
        str(s.index), str(s.attempt), s.status.value, s.client_order_id or "", _size(job, s.target_qty),
        _size(job, s.filled_qty), _price(job, s.avg_price) or "", s.note,
    )  # fmt: skip


def log_rows(view: JobView) -> Rows:
    return [(str(r.ts_ns), r.level, r.event, " ".join(f"{k}={v}" for k, v in r.fields.items())) for r in view.log]
