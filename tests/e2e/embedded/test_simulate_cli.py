"""``tradewind simulate``: simulated hours as fast as the machine goes, recorded, then exported to Parquet."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds

from tests.support.cli import QUIET, environment, tradewind


def test_simulate_records_the_hours_asked_for_and_exports_parquet(tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    env = environment(TRADEWIND_STORAGE__URL=f"sqlite:///{tmp_path / 'tw.db'}", **QUIET)

    result = tradewind("simulate", "--hours", "0.01", "--out", str(out), env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # 36 simulated seconds at the default 100 ms step: exactly 360 swarm steps.
    assert "simulated 0.01 h: 360 steps" in result.stdout, result.stdout
    trades = ds.dataset(out / "market_trades", format="parquet", partitioning="hive").to_table()
    assert trades.num_rows > 0
    assert f"market_trades: {trades.num_rows} rows" in result.stdout
