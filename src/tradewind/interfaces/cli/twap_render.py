"""Rendering of TWAP jobs for the terminal: tables, the report as JSON, and the report chart (PNG)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.table import Table

from tradewind.application.twap.service import JobView
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport


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


def jobs_table(jobs: list[TwapJob]) -> Table:
    table = Table("id", "status", "side", "symbol", "filled / total", "slice", "reason")
    for job in jobs:
        table.add_row(
            job.job_id, job.status.value, job.spec.side.value, f"{job.spec.category.value}:{job.spec.symbol}",
            f"{job.filled_qty} / {job.total_qty}", f"{job.next_index}/{job.slices}", job.reason,
        )  # fmt: skip
    return table


def view_tables(view: JobView) -> tuple[Table, Table]:
    slices = Table("slice", "attempt", "status", "client order id", "target", "filled", "avg price", "note")
    for s in view.slices:
        slices.add_row(
            str(s.index), str(s.attempt), s.status.value, s.client_order_id or "", str(s.target_qty),
            str(s.filled_qty), _s(s.avg_price) or "", s.note,
        )  # fmt: skip
    log = Table("ts_ns", "level", "event", "fields")
    for r in view.log:
        log.add_row(str(r.ts_ns), r.level, r.event, " ".join(f"{k}={v}" for k, v in r.fields.items()))
    return slices, log


def write_chart(view: JobView, report: ExecutionReport, path: Path) -> None:
    """Price seen per slice, fills, and cumulative filled quantity over time, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = view.job.start_ns
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
    seen = [(s.ts_ns, s.market_price) for s in view.slices if s.market_price is not None]
    top.plot([(t - start) / 1e9 for t, _ in seen], [float(p) for _, p in seen], label="market mid", color="grey")
    fills = view.fills
    top.scatter([(f.ts_ns - start) / 1e9 for f in fills], [float(f.price) for f in fills], s=12, label="fills")
    if report.market_twap is not None:
        top.axhline(float(report.market_twap), linestyle="--", color="green", label="market TWAP")
    if report.avg_price is not None:
        top.axhline(float(report.avg_price), linestyle=":", color="red", label="our average")
    top.set_ylabel("price")
    top.legend(loc="best", fontsize=8)
    cumulative, total = [], Decimal(0)
    for f in fills:
        total += f.qty
        cumulative.append(float(total))
    bottom.step([(f.ts_ns - start) / 1e9 for f in fills], cumulative, where="post")
    bottom.axhline(float(view.job.total_qty), linestyle="--", color="grey")
    bottom.set_ylabel("cumulative filled")
    bottom.set_xlabel("seconds since start")
    fig.suptitle(f"TWAP {view.job.job_id}: {view.job.spec.side.value} {view.job.total_qty} {view.job.spec.symbol}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
