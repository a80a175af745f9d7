"""`tradewind run` with `lake.enabled`: while the simulator trades, the lake fills; stopped, it equals the database."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pyarrow.fs as pafs

from tests.support.cli import environment, tradewind
from tests.support.lake import read_table


def test_the_embedded_lake_holds_every_trade_and_mid_the_database_holds(tmp_path: Path) -> None:
    db, lake = tmp_path / "tw.db", tmp_path / "lake"
    env = environment(
        TRADEWIND_STORAGE__URL=f"sqlite:///{db}",
        TRADEWIND_LAKE__ENABLED="true",
        TRADEWIND_LAKE__PATH=str(lake),
        TRADEWIND_LAKE__ROWS_PER_FILE="200",
        TRADEWIND_SIM_EXCHANGE__PORT="0",
        TRADEWIND_HTTP__ENABLED="false",
        TRADEWIND_LOGGING__LEVEL="warning",
    )

    run = tradewind("run", "--headless", "--duration", "4", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    with sqlite3.connect(db) as conn:
        stored = Counter(conn.execute("SELECT category, symbol, trade_id FROM market_trades").fetchall())
        mids = conn.execute("SELECT count(*) FROM market_mids").fetchone()[0]
    trades = read_table(pafs.LocalFileSystem(), lake.as_posix(), "market_trades")
    in_lake = Counter(zip(*(trades.column(c).to_pylist() for c in ("category", "symbol", "trade_id")), strict=True))
    assert len(stored) > 0 and in_lake == stored
    assert read_table(pafs.LocalFileSystem(), lake.as_posix(), "market_mids").num_rows == mids > 0
    assert not (lake / "book_snapshots").exists()  # not in lake.kinds by default
