"""`tradewind run` as a user runs it: a real process, a real Bybit client, a clean stop that loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.support.http_api import authorized_session, call
from tests.support.waiting import eventually

CONFIG = """
storage:
  url: sqlite:///{db}
logging:
  format: json
simulator:
  seed: 11
sim_exchange:
  port: 0
http:
  port: 0
"""

# The line `tradewind run` prints when it generated the API's token (as Jupyter prints its URL).
BANNER = r"HTTP API on (\S+) \(OpenAPI at \S+/docs\)\. Token for this run: (\S+) "


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def _read_event(stream: asyncio.StreamReader, name: str, timeout: float = 30) -> dict[str, Any]:
    """The first JSON log line whose event is ``name``."""
    async with asyncio.timeout(timeout):
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"process ended before logging {name!r}")
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("event") == name:
                return dict(record)


async def _read_line(stream: asyncio.StreamReader, pattern: str, timeout: float = 30) -> re.Match[str]:
    """The first line matching ``pattern``."""
    async with asyncio.timeout(timeout):
        while line := (await stream.readline()).decode():
            if found := re.search(pattern, line):
                return found
    raise AssertionError(f"process ended before printing {pattern!r}")


@dataclass
class Running:
    proc: asyncio.subprocess.Process
    exchange_port: int
    http_port: int
    db: Path
    api: str  # the URL and token `tradewind run` printed
    token: str


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    db = tmp_path / "tw.db"
    config = tmp_path / "tradewind.yaml"
    config.write_text(CONFIG.format(db=db))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradewind",
        "run",
        "--headless",
        "--config",
        str(config),
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        started = await _read_event(proc.stderr, "system.started")
        banner = await _read_line(
            proc.stderr, r"HTTP API on (\S+) \(OpenAPI at \S+/docs\)\. Token for this run: (\S+) "
        )
        api, token = banner[1], banner[2]
        yield Running(proc, int(started["sim_exchange_port"]), int(started["http_port"]), db, api, token)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _client(port: int) -> ccxt.bybit:
    client = ccxt.bybit({"apiKey": "tradewind-demo-key", "secret": "tradewind-demo-secret", "enableRateLimit": False})
    client.urls["api"] = {k: f"http://127.0.0.1:{port}" for k in ("spot", "futures", "v2", "public", "private")}
    return client


async def test_headless_run_trades_with_a_bybit_client_and_flushes_everything_on_sigint(
    running: Running,
) -> None:
    proc, db = running.proc, running.db
    client = _client(running.exchange_port)
    try:
        await client.load_markets()
        # the swarm's trades reach the venue's public tape
        await eventually(lambda: client.fetch_trades("BTC/USDT:USDT", limit=50), bool, timeout=30)
        order = await client.create_order("BTC/USDT", "market", "buy", 0.01, params={"marketUnit": "baseCoin"})
        mine = await eventually(lambda: client.fetch_my_trades("BTC/USDT"), bool)
        assert sum(t["amount"] for t in mine) == pytest.approx(0.01)
        assert {t["order"] for t in mine} == {order["id"]}
    finally:
        await client.close()

    assert proc.stderr is not None
    proc.send_signal(signal.SIGINT)
    stopped = await _read_event(proc.stderr, "system.stopped")
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert stopped["published"] > 0
    assert stopped["recorded"] == stopped["published"]  # every published md event was flushed before exit
    with sqlite3.connect(db) as conn:
        rows = sum(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("market_trades", "market_mids", "book_snapshots")
        )
        logs = conn.execute("SELECT count(*) FROM logs WHERE event = 'system.started'").fetchone()[0]
        logged = "\n".join(str(row) for row in conn.execute("SELECT * FROM logs"))
    assert rows == stopped["published"]
    assert logs == 1
    assert running.token not in logged  # shown on the terminal only


async def test_twap_job_created_over_http_runs_to_its_total_in_the_embedded_system(
    running: Running,
) -> None:
    base = running.api
    assert base == f"http://127.0.0.1:{running.http_port}"
    spec = {"exchange": "sim", "side": "Buy", "symbol": "BTCUSDT", "quantity": "0.004", "runtime_s": 4, "slices": 4}
    assert (await call("POST", f"{base}/twap", spec, token=None))[0] == 401  # the printed token is required
    assert (await call("POST", f"{base}/twap", spec, token="not-the-printed-token"))[0] == 401
    async with authorized_session(running.token) as http:
        async with http.post(f"{base}/twap", json=spec) as response:
            assert response.status == 201, await response.text()
            job_id = (await response.json())["job_id"]

        async def job() -> dict[str, Any]:
            async with http.get(f"{base}/twap/{job_id}") as response:
                return dict(await response.json())

        done = await eventually(job, lambda j: j["status"] == "completed", timeout=60)
        async with http.get(f"{base}/twap/{job_id}/report") as response:
            report = await response.json()
    assert Decimal(done["filled"]) == Decimal("0.004")
    assert Decimal(report["filled_qty"]) == Decimal("0.004")
    assert {e["event"] for e in done["log"]} >= {"twap.created", "twap.completed"}


def test_invalid_config_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("storage:\n  urll: sqlite:///x.db\nsimulator:\n  step_interval_ms: -5\n")
    result = subprocess.run(
        [sys.executable, "-m", "tradewind", "run", "--headless", "--config", str(config)],
        cwd=tmp_path,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "storage.urll: unknown key" in result.stderr
    assert "simulator.step_interval_ms" in result.stderr
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "data").exists()


async def test_a_stored_job_beyond_the_calendar_is_quarantined_and_sigterm_still_flushes(running: Running) -> None:
    """Issue 19: a stored job whose next wake-up APScheduler cannot hold killed the scheduler without a log line (no
    later job sent a slice) and its traceback aborted the shutdown on SIGTERM before the recorder's flush."""
    base = running.api
    slow = {"exchange": "sim", "side": "Buy", "symbol": "BTCUSDT", "quantity": "0.002", "runtime_s": 3600, "slices": 2}
    quick = {"exchange": "sim", "side": "Buy", "symbol": "BTCUSDT", "quantity": "0.004", "runtime_s": 4, "slices": 4}
    async with authorized_session(running.token) as http:

        async def job(job_id: str) -> dict[str, Any]:
            async with http.get(f"{base}/twap/{job_id}") as response:
                return dict(await response.json())

        async with http.post(f"{base}/twap", json={**slow, "job_id": "farfuture"}) as response:
            assert response.status == 201, await response.text()
        await eventually(lambda: job("farfuture"), lambda j: j["next_slice"] == 1, timeout=30)
        # As stored before input was bounded: its second slice due 10^12 s on (past year 9999).
        with sqlite3.connect(running.db) as conn:
            conn.execute("UPDATE twap_jobs SET offsets_ns = ? WHERE job_id = 'farfuture'", (f"[0, {10**21}]",))
        async with http.post(f"{base}/twap", json={**quick, "job_id": "healthy"}) as response:
            assert response.status == 201, await response.text()
        quarantined = await eventually(lambda: job("farfuture"), lambda j: j["status"] == "failed", timeout=30)
        done = await eventually(lambda: job("healthy"), lambda j: j["status"] == "completed", timeout=60)
    assert quarantined["reason"].startswith("quarantined: ")
    assert "twap.quarantined" in {e["event"] for e in quarantined["log"]}
    assert Decimal(done["filled"]) == Decimal("0.004")

    proc = running.proc
    assert proc.stderr is not None
    proc.send_signal(signal.SIGTERM)
    stopped = await _read_event(proc.stderr, "system.stopped")
    rest = (await proc.stderr.read()).decode()
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert "Traceback" not in rest and "OverflowError" not in rest
    assert stopped["published"] > 0 and stopped["recorded"] == stopped["published"]  # flushed before exit
