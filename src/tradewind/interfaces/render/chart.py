"""The TWAP report chart (PNG): price seen per slice, fills, market TWAP, our average and cumulative filled."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradewind.application.twap.service import JobView
    from tradewind.domain.twap.report import ExecutionReport


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
