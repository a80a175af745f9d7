"""With distinctive secrets set, none of them appears in anything a run shows: output, errors or the logs table."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.cli import closed_port, environment, tradewind
from tests.support.waiting import wait_for

BYBIT_SECRET = "S3cr3tKey"
ACCOUNT_SECRET = "S3cr3tAcct"
OPTION_SECRET = "S3cr3tOpt"
BUS_PASSWORD = "S3cr3tMq"
DB_PASSWORD = "S3cr3tPg"  # PostgreSQL trusts loopback here: any password connects
HTTP_TOKEN = "S3cr3tHttpT0ken-0123"  # the HTTP API's bearer token: never printed once configured
LAKE_KEY_ID = "S3cr3tLakeId"  # the lake's S3 key pair
LAKE_SECRET = "S3cr3tLakeKey"
ACCOUNTS = [
    {"api_key": "bx-key", "api_secret": BYBIT_SECRET, "balances": {"USDT": "100000"}},
    {"api_key": "sim-key", "api_secret": ACCOUNT_SECRET, "balances": {"USDT": "100000", "BTC": "1"}},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sim_exchange(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A ``tradewind sim-exchange`` holding the secret accounts (its output too is checked); yields its port."""
    port, log = _free_port(), tmp_path / "sim-exchange.log"
    env = environment(TRADEWIND_VENUE__ACCOUNTS=json.dumps(ACCOUNTS), TRADEWIND_LOGGING__LEVEL="debug")
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tradewind", "sim-exchange", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        asyncio.run(wait_for(listening))
        yield port, log
    finally:
        process.terminate()
        process.wait(30)


def test_no_secret_appears_in_any_output_or_the_logs_table(
    tmp_path: Path, postgres_url: str, pg_schema: str, sim_exchange: tuple[int, Path]
) -> None:
    url = make_url(postgres_url)
    db_password = url.password or DB_PASSWORD
    secrets = (BYBIT_SECRET, ACCOUNT_SECRET, OPTION_SECRET, BUS_PASSWORD, str(db_password), HTTP_TOKEN)
    secrets += (LAKE_KEY_ID, LAKE_SECRET)
    port, exchange_log = sim_exchange
    config = tmp_path / "tw.yaml"
    config.write_text(
        "exchanges:\n  entries:\n    sim: {sim_account: sim-key}\n"
        f"    bx: {{type: bybit, env: sim-server, url: 'http://127.0.0.1:{port}',\n"
        f"          options: {{walletSecret: {OPTION_SECRET}}}}}\n"
    )
    env = environment(
        TRADEWIND_STORAGE__URL=url.set(password=db_password).render_as_string(hide_password=False),
        TRADEWIND_STORAGE__PG_SCHEMA=pg_schema,
        TRADEWIND_DISTRIBUTED__BUS__URL=f"amqp://tw:{BUS_PASSWORD}@127.0.0.1:{closed_port()}/",
        TRADEWIND_BX_API_KEY="bx-key",
        TRADEWIND_BX_API_SECRET=BYBIT_SECRET,
        TRADEWIND_VENUE__ACCOUNTS=json.dumps(ACCOUNTS[1:]),
        TRADEWIND_SIM_EXCHANGE__PORT="0",
        TRADEWIND_HTTP__PORT="0",
        TRADEWIND_HTTP__TOKEN=HTTP_TOKEN,
        TRADEWIND_LAKE__BUCKET="lake",
        TRADEWIND_LAKE__ENDPOINT=f"http://127.0.0.1:{closed_port()}",  # nothing there: the lake verbs fail
        TRADEWIND_LAKE__ACCESS_KEY_ID=LAKE_KEY_ID,
        TRADEWIND_LAKE__SECRET_ACCESS_KEY=LAKE_SECRET,
        TRADEWIND_LOGGING__LEVEL="debug",
        TRADEWIND_LOGGING__FORMAT="json",
    )

    run = tradewind("run", "--headless", "--duration", "3", "-c", str(config), env=env, cwd=tmp_path)
    shown = tradewind("config", "-c", str(config), env=env, cwd=tmp_path)
    twap = tradewind("twap", "list", "-c", str(config), env=env, cwd=tmp_path)
    bad_account = env | {"TRADEWIND_VENUE__ACCOUNTS": json.dumps(ACCOUNTS[1])}  # an object where a list belongs
    refused = tradewind("run", "--headless", "-c", str(config), env=bad_account, cwd=tmp_path)
    distributed = env | {"TRADEWIND_MODE": "distributed"}
    bad_bus = distributed | {"TRADEWIND_DISTRIBUTED__BUS__URL": f"amqp:/tw:{BUS_PASSWORD}@127.0.0.1/"}
    bad_url = tradewind("service", "storage", "-c", str(config), env=bad_bus, cwd=tmp_path)
    no_bus = tradewind("service", "storage", "--health-port", "0", "-c", str(config), env=distributed, cwd=tmp_path)
    dead_db = env | {"TRADEWIND_STORAGE__URL": f"postgresql+psycopg://tw:{db_password}@127.0.0.1:{closed_port()}/x"}
    no_db = tradewind("run", "--headless", "-c", str(config), env=dead_db, cwd=tmp_path)
    no_lake = tradewind("lake", "compact", "--date", "2024-01-01", "-c", str(config), env=env, cwd=tmp_path)
    no_s3 = tradewind("export-parquet", "s3://lake/backfill", "-c", str(config), env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert "HTTP API on http://127.0.0.1:" in run.stderr and "Token for this run" not in run.stderr
    assert (shown.returncode, twap.returncode, refused.returncode, bad_url.returncode) == (0, 0, 2, 2)
    assert (no_bus.returncode, no_db.returncode, no_lake.returncode, no_s3.returncode) == (1, 1, 1, 1)
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        rows = [str(row) for row in conn.execute(text(f'SELECT * FROM "{pg_schema}".logs'))]
    engine.dispose()
    assert any("system.started" in row for row in rows)
    assert "***" in shown.stdout and "***" in refused.stderr + bad_url.stderr + no_bus.stderr + no_db.stderr
    everything = (
        "\n".join(
            [*(r.stdout + r.stderr for r in (run, shown, twap, refused, bad_url, no_bus, no_db, no_lake, no_s3)), *rows]
        )
        + exchange_log.read_text()
    )
    leaked = {secret for secret in secrets if secret in everything}
    assert not leaked, [line for line in everything.splitlines() if any(s in line for s in leaked)][:5]
