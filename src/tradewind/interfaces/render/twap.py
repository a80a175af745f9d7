"""TWAP outcomes rendered once for every front end: jobs and reports as JSON-able dicts, answers as one line,
and tables as column names plus rows of text (the CLI draws them with rich, a chat front end as monospace)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.application.twap.service import JobView
from tradewind.domain.twap.job import SliceRecord, TwapJob
from tradewind.domain.twap.report import ExecutionReport

Rows = list[tuple[str, ...]]
JOB_COLUMNS = ("id", "status", "side", "symbol", "filled / total", "slice", "reason")
SLICE_COLUMNS = ("slice", "attempt", "status", "client order id", "target", "filled", "avg price", "note")
LOG_COLUMNS = ("ts_ns", "level", "event", "fields")


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def job_json(job: TwapJob) -> dict[str, Any]:
    spec = job.spec
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "exchange": spec.exchange,
        "category": spec.category.value,
        "symbol": spec.symbol,
        "side": spec.side.value,
        "total": str(job.total_qty),
        "filled": str(job.filled_qty),
        "slices": job.slices,
        "next_slice": job.next_index,
        "limit_price": _s(spec.limit_price),
        "limit_policy": spec.limit_policy.value,
        "arrival_price": _s(job.arrival_price),
        "start_ns": job.start_ns,
        "end_ns": job.end_ns,
        "reason": job.reason,
        "archived": job.archived,
    }


def job_view_json(view: JobView) -> dict[str, Any]:
    """The job with its decision log."""
    log = [{"ts_ns": r.ts_ns, "level": r.level, "event": r.event, "fields": dict(r.fields)} for r in view.log]
    return {**job_json(view.job), "log": log}


def report_json(report: ExecutionReport) -> dict[str, Any]:
    return {
        "filled_qty": str(report.filled_qty),
        "avg_price": _s(report.avg_price),
        "market_twap": _s(report.market_twap),
        "arrival_price": _s(report.arrival_price),
        "slippage_vs_twap_bps": _s(report.slippage_vs_twap_bps),
        "slippage_vs_arrival_bps": _s(report.slippage_vs_arrival_bps),
        "fees": str(report.fees),
        "slices": [
            {
                "index": s.index,
                "status": s.status,
                "target_qty": str(s.target_qty),
                "filled_qty": str(s.filled_qty),
                "avg_price": _s(s.avg_price),
                "fee": str(s.fee),
            }
            for s in report.slices
        ],
    }


def created_line(job: TwapJob) -> str:
    spec = job.spec
    return f"created TWAP job {job.job_id}: {spec.side.value} {job.total_qty} {spec.symbol} in {job.slices} slices"


def status_line(job: TwapJob) -> str:
    return f"job {job.job_id} is {job.status.value}"


def progress_line(job: TwapJob, report: ExecutionReport, left_s: int) -> str:
    return f"{job.filled_qty}/{job.total_qty} avg {report.avg_price or '-'} left {left_s}s {job.status.value}"


def job_rows(jobs: list[TwapJob]) -> Rows:
    return [_job_row(job) for job in jobs]


def _job_row(job: TwapJob) -> tuple[str, ...]:
    return (
        job.job_id, job.status.value, job.spec.side.value, f"{job.spec.category.value}:{job.spec.symbol}",
        f"{job.filled_qty} / {job.total_qty}", f"{job.next_index}/{job.slices}", job.reason,
    )  # fmt: skip


def slice_rows(view: JobView) -> Rows:
    return [_slice_row(s) for s in view.slices]


def _slice_row(s: SliceRecord) -> tuple[str, ...]:
    return (
        str(s.index), str(s.attempt), s.status.value, s.client_order_id or "", str(s.target_qty),
        str(s.filled_qty), _s(s.avg_price) or "", s.note,
    )  # fmt: skip


def log_rows(view: JobView) -> Rows:
    return [(str(r.ts_ns), r.level, r.event, " ".join(f"{k}={v}" for k, v in r.fields.items())) for r in view.log]
