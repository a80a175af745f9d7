"""Every TWAP rendering prints prices at the job's tick size and sizes at its lot step."""

from __future__ import annotations

from decimal import Decimal

from tradewind.application.twap.service import JobView
from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.report import ExecutionReport, SliceRow
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, Side
from tradewind.interfaces.render.twap import (
    created_line,
    job_json,
    job_rows,
    progress_line,
    report_json,
    run_line,
    slice_rows,
)

D = Decimal
LONG = D("65261.95563966666666666666667")
TICK = D("0.1")
SPEC = TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, 60, 2, quantity=D("0.6"), limit_price=D("70000"))


def _job(tick: Decimal | None = TICK) -> TwapJob:
    return TwapJob(
        JobId("fmt1"), SPEC, D("0.600000"), D("0.001"), (300, 300), (0, 30 * 10**9), 1, 1,
        status=JobStatus.COMPLETED, next_index=2, filled_qty=D("0.300000"), arrival_price=LONG, tick_size=tick,
    )  # fmt: skip


def _report() -> ExecutionReport:
    row = SliceRow(0, "done", D("0.300000"), D("0.300000"), LONG, D("0.00030000"))
    return ExecutionReport(D("0.300000"), LONG, LONG, LONG, D("1.23456"), D("-0.5"), D("0.00030000"), (row,))


def test_job_json_and_the_job_table_print_sizes_at_the_lot_and_prices_at_the_tick() -> None:
    data = job_json(_job())
    assert (data["total"], data["filled"]) == ("0.600", "0.300")
    assert (data["arrival_price"], data["limit_price"]) == ("65262.0", "70000.0")
    assert job_rows([_job()])[0][4] == "0.300 / 0.600"
    assert "Buy 0.600 BTCUSDT" in created_line(_job())


def test_report_json_prints_every_price_at_the_tick_and_bps_to_a_hundredth() -> None:
    data = report_json(_report(), _job())
    assert (data["filled_qty"], data["avg_price"], data["market_twap"]) == ("0.300", "65262.0", "65262.0")
    assert (data["slippage_vs_twap_bps"], data["slippage_vs_arrival_bps"]) == ("1.23", "-0.50")
    assert data["fees"] == "0.0003"
    assert data["slices"][0] | {"fee": ""} == {
        "index": 0, "status": "done", "target_qty": "0.300", "filled_qty": "0.300", "avg_price": "65262.0", "fee": "",
    }  # fmt: skip


def test_the_slice_table_and_the_progress_lines_use_the_same_grid() -> None:
    record = SliceRecord(
        JobId("fmt1"), 0, 0, ClientOrderId("tw-fmt1-0-0"), SliceStatus.DONE, D("0.300000"), "market", None, "IOC", 1,
        filled_qty=D("0.300000"), avg_price=LONG,
    )  # fmt: skip
    row = slice_rows(JobView(_job(), (record,), (), ()))[0]
    assert (row[4], row[5], row[6]) == ("0.300", "0.300", "65262.0")
    assert progress_line(_job(), _report(), 0) == "0.300/0.600 avg 65262.0 left 0s completed"
    assert run_line(_job(), LONG) == "fmt1 Buy BTCUSDT 0.300/0.600 slices 2/2 avg 65262.0 completed"


def test_a_job_stored_before_its_tick_was_kept_prints_its_prices_exactly() -> None:
    assert job_json(_job(tick=None))["arrival_price"] == str(LONG)
