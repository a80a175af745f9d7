"""SIGKILL restart: a real `tradewind twap run` process killed at random points resumes every job exactly.

The exchange (`tradewind sim-exchange`) is a separate process that outlives the killed runner, reached
over HTTP through a ccxt gateway: Bybit's V5 rows, or ccxt's unified API speaking Binance spot to the same
process (the path of every non-Bybit exchange); state lives in a SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.processes import TRADEWIND, sim_exchange_process
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.domain.twap.slicer import parse_client_order_id
from tradewind.domain.values import Category
from tradewind.settings import load_settings

ENV = {"TRADEWIND_SIMSRV_API_KEY": "tradewind-demo-key", "TRADEWIND_SIMSRV_API_SECRET": "tradewind-demo-secret"}


@pytest.fixture(params=["bybit", "binance"])
def workdir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    env = {**os.environ, **ENV}
    with sim_exchange_process(tmp_path, env) as (port, _):
        (tmp_path / "tw.yaml").write_text(
            f"storage:\n  url: sqlite:///{tmp_path / 'tw.db'}\nlogging:\n  level: warning\n"
            f"exchanges:\n  default: simsrv\n  entries:\n"
            f'    simsrv: {{type: {request.param}, env: sim-server, url: "http://127.0.0.1:{port}"}}\n'
        )
        yield tmp_path, env


def _cli(workdir: Path, env: dict[str, str], *args: str, timeout: float = 60) -> str:
    done = subprocess.run(
        [*TRADEWIND, "twap", *args, "-c", str(workdir / "tw.yaml")], env=env, cwd=workdir,
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _exchange_fills(workdir: Path, job_ids: list[str]) -> Counter[str]:
    settings = load_settings(workdir / "tw.yaml")
    entry = settings.exchanges.entries["simsrv"]
    gateway = open_gateway("simsrv", entry, load_credentials("simsrv", entry, ENV), WallClock())
    try:
        await gateway.load_instruments()
        fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT")
    finally:
        await gateway.close()
    qty: Counter[str] = Counter()
    for fill in fills:
        parsed = parse_client_order_id(fill.client_order_id)
        if parsed is not None and parsed[0] in job_ids:
            qty[parsed[0]] += fill.qty  # type: ignore[assignment]
    return qty


def test_jobs_killed_at_random_points_finish_with_exactly_the_total(workdir: tuple[Path, dict[str, str]]) -> None:
    folder, env = workdir
    rng = random.Random(5)
    jobs = [f"kill{n}" for n in range(3)]
    for job in jobs:
        _cli(folder, env, "create", "Buy", "BTCUSDT", "--qty", "0.012", "--runtime", "6", "--slices", "6", "--id", job)
    kills = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runner = subprocess.Popen(
            [*TRADEWIND, "twap", "run", "--until-idle", "-c", str(folder / "tw.yaml")], env=env, cwd=folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        if kills < 4:
            time.sleep(rng.uniform(1.5, 3.0))
            if runner.poll() is None:
                runner.send_signal(signal.SIGKILL)
                kills += 1
            runner.wait(10)
            continue
        assert runner.wait(90) == 0, runner.stderr.read() if runner.stderr else ""
        break
    assert kills >= 3
    listing = _cli(folder, env, "list")
    for job in jobs:
        shown = _cli(folder, env, "show", job)
        assert '"status": "completed"' in shown, shown
        assert '"filled": "0.012000"' in shown, shown  # at the lot step, 0.000001
        assert "twap.created" in shown and "twap.completed" in shown
    on_exchange = asyncio.run(_exchange_fills(folder, jobs))
    assert {j: on_exchange[j] for j in jobs} == {j: Decimal("0.012") for j in jobs}, listing
