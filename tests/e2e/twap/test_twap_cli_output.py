"""The `twap` verbs as a trader pipes them: stdout carries only the answer, reading needs only the database.

A `tradewind sim-exchange` process is the exchange (reached through Bybit's V5 rows over ccxt); `twap run` executes
the jobs and prints one progress line per job; then the keys leave the environment and the exchange stops, and
`list`, `show` and `report` still answer from the database, `report` as exactly one JSON document.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.processes import TRADEWIND, sim_exchange_process

KEYS = {"TRADEWIND_SIMSRV_API_KEY": "tradewind-demo-key", "TRADEWIND_SIMSRV_API_SECRET": "tradewind-demo-secret"}
JOBS = ("outa", "outb")


def _env(*, keys: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}
    return env | KEYS if keys else env


def _twap(folder: Path, *args: str, keys: bool, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRADEWIND, "twap", *args, "-c", str(folder / "tw.yaml")], env=_env(keys=keys), cwd=folder,
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Jobs run to completion against a sim-exchange process that is stopped before the tests read them."""
    tmp_path = tmp_path_factory.mktemp("twap-cli")
    with sim_exchange_process(tmp_path, _env(keys=True)) as (port, _):
        (tmp_path / "tw.yaml").write_text(
            f"storage:\n  url: sqlite:///{tmp_path / 'tw.db'}\nlogging:\n  level: info\n  format: json\n"
            f"exchanges:\n  default: simsrv\n  entries:\n"
            f'    simsrv: {{type: bybit, env: sim-server, url: "http://127.0.0.1:{port}"}}\n'
        )
        for job in JOBS:
            _ok(_twap(tmp_path, "create", "Buy", "BTCUSDT", "--qty", "0.003", "--runtime", "2", "--slices", "2",
                      "--id", job, keys=True))  # fmt: skip
        run = _twap(tmp_path, "run", "--until-idle", keys=True)
        (tmp_path / "run.out").write_text(_ok(run))
        (tmp_path / "run.err").write_text(run.stderr)
    return tmp_path


def test_twap_run_prints_progress_lines_per_job_and_its_logs_only_on_stderr(folder: Path) -> None:
    lines = (folder / "run.out").read_text().splitlines()
    assert lines and all(line.split()[0] in JOBS for line in lines)  # progress only: no log line on stdout
    last = {job: [line for line in lines if line.startswith(f"{job} ")][-1] for job in JOBS}
    for line in last.values():
        assert "0.003000/0.003000 slices 2/2" in line and line.endswith(" completed")
    for record in (folder / "run.err").read_text().splitlines():
        json.loads(record)  # logging.format json: every stderr line is a JSON log record


def test_reading_verbs_answer_without_the_exchange_or_its_keys(folder: Path) -> None:
    listing = _ok(_twap(folder, "list", keys=False))
    assert all(job in listing for job in JOBS)
    shown = _ok(_twap(folder, "show", "outa", keys=False))
    assert "completed" in shown and "0.003000" in shown
    report = json.loads(_ok(_twap(folder, "report", "outa", keys=False)))  # one JSON document, nothing else
    assert report["filled_qty"] == "0.003000"  # at the lot step 0.000001
    avg = Decimal(report["avg_price"])
    assert avg == avg.quantize(Decimal("0.1"))  # at the tick 0.1
    # State changes need the database alone too: a refusal for the ended job, then its archiving.
    assert _twap(folder, "cancel", "outa", keys=False).returncode == 2
    assert _ok(_twap(folder, "archive", "outa", keys=False)) == "job outa is archived\n"
    assert "outa" not in _ok(_twap(folder, "list", keys=False))


def test_report_with_the_keys_and_the_exchange_down_prints_only_json(folder: Path) -> None:
    done = _twap(folder, "report", "outb", keys=True)
    assert json.loads(_ok(done))["slices"][0]["filled_qty"].startswith("0.")
    assert "Traceback" not in done.stderr


def test_a_verb_that_needs_the_exchange_names_the_missing_keys_instead_of_a_traceback(folder: Path) -> None:
    done = _twap(folder, "create", "Buy", "BTCUSDT", "--qty", "0.003", "--runtime", "2", "--slices", "2", keys=False)
    assert done.returncode == 2
    assert "TRADEWIND_SIMSRV_API_KEY" in done.stderr and "Traceback" not in done.stderr
