"""The reading ``twap`` verbs load only what they use: a guard on start-up time that counts modules, not seconds.

Each verb runs in a fresh interpreter, in process, and reports ``sys.modules`` when it exits; what a reading verb
never needs (exchange clients, web servers, Parquet, Alembic, the simulator, the other workflows) must not be there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import QUIET, closed_port, environment, migrated_sqlite
from tradewind.adapters.store.sqlalchemy.database import Database

# Runs the CLI as `tradewind` does and writes the loaded module names on exit (after typer's SystemExit).
_PROBE = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "tradewind"
from tradewind.interfaces.cli.app import main
main()
"""

HEAVY = (
    "alembic", "aio_pika", "aiohttp", "apscheduler", "ccxt", "fastapi", "matplotlib", "numpy", "pandas",
    "prompt_toolkit", "pyarrow", "sqlalchemy.orm", "starlette", "telegram", "uvicorn", "yarl",
    "urllib.request",  # the HTTP-client verbs load it when they call
    "rich.progress",  # `twap watch` and `twap run` draw bars; the reading verbs print tables
    "tradewind.adapters.exchanges.ccxt", "tradewind.adapters.store.lake.store", "tradewind.application.lake",
    "tradewind.application.marketdata.service", "tradewind.application.signals.producer",
    "tradewind.application.simulator.service", "tradewind.application.spread.trading",
    "tradewind.application.trading.trades", "tradewind.application.venue.events", "tradewind.application.venue.service",
    "tradewind.bootstrap.embedded", "tradewind.domain.matching", "tradewind.domain.simulation.swarm",
    "tradewind.interfaces.console", "tradewind.interfaces.http.app", "tradewind.interfaces.sim_exchange.app",
    "tradewind.interfaces.sim_exchange.faults.plan",
)  # fmt: skip


# What the reading verbs (list, show, report) leave out besides: the whole configuration and the system they do not
# build (the composition root, command service and command language, bus, doorbell, gateways) - their start-up time.
NOT_READING = (
    "tradewind.settings", "tradewind.bootstrap.platform", "tradewind.bootstrap.twap", "tradewind.bootstrap.storage",
    "tradewind.application.commands", "tradewind.application.twap.service", "tradewind.domain.commands",
    "tradewind.domain.command_language", "tradewind.adapters.bus", "tradewind.adapters.scheduling",
    "tradewind.adapters.exchanges", "tradewind.application.ports.exchange", "tradewind.adapters.store.lake",
    "tradewind.application.simulator", "tradewind.application.venue", "tradewind.application.signals",
    "tradewind.application.spread", "tradewind.application.trading", "tradewind.interfaces.sim_exchange",
    "tradewind.interfaces.health", "tradewind.interfaces.http", "tradewind.interfaces.telegram",
    "tradewind.application.plugin_settings",
    "structlog", "pydantic_settings",  # logging is configured by a first record, their settings loaded without it
)  # fmt: skip


SQLALCHEMY = ("sqlalchemy", "alembic", "tradewind.adapters.store.sqlalchemy")


def _is_heavy(module: str, names: tuple[str, ...] = HEAVY) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def _loaded(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.json"
    command = [sys.executable, "-c", _PROBE, str(out), *args]
    env = environment(**QUIET)
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    return result, set(json.loads(out.read_text()))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A SQLite database already at the schema head (so the verb itself does not migrate) and a config naming it."""
    url = migrated_sqlite(tmp_path / "tw.db")
    path = tmp_path / "tw.yaml"
    path.write_text(f"storage: {{url: '{url}'}}\nlogging: {{to_database: false}}\n", encoding="utf-8")
    return path


@pytest.fixture
def at_head(database: Database, tmp_path: Path) -> Path:
    """A config naming a database at the schema head, on SQLite and on PostgreSQL (a schema of its own)."""
    url = database.url.render_as_string(hide_password=False)
    schema = "" if database.schema is None else f", pg_schema: {database.schema}"
    path = tmp_path / "head.yaml"
    path.write_text(f"storage: {{url: '{url}'{schema}}}\nlogging: {{to_database: false}}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("verb", "answer"),
    [
        (("twap", "list"), "no TWAP jobs"),
        (("twap", "show", "nojob"), "nojob"),
        (("twap", "report", "nojob"), "nojob"),
    ],
)
def test_a_reading_twap_verb_loads_no_other_workflow_and_no_sqlalchemy_at_head(
    tmp_path: Path, at_head: Path, verb: tuple[str, ...], answer: str
) -> None:
    result, modules = _loaded(tmp_path, *verb, "-c", str(at_head))

    assert "Traceback" not in result.stderr, result.stderr
    assert answer in result.stdout + result.stderr
    assert {"tradewind.application.twap.reader", "tradewind.adapters.store.dbapi.readers"} <= modules
    assert sorted(m for m in modules if _is_heavy(m)) == []
    assert sorted(m for m in modules if _is_heavy(m, NOT_READING)) == []
    # The schema is at head: the driver reads it (sqlite3 or psycopg), SQLAlchemy and Alembic stay unloaded.
    assert (
        sorted(m for m in modules if _is_heavy(m, ("sqlalchemy", "alembic", "tradewind.adapters.store.sqlalchemy")))
        == []
    )


def test_the_config_verb_still_loads_every_section(tmp_path: Path, config: Path) -> None:
    result, modules = _loaded(tmp_path, "config", "-c", str(config))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["storage"]["url"].endswith("tw.db")
    assert {"tradewind.application.simulator.settings", "tradewind.interfaces.sim_exchange.settings"} <= modules


@pytest.mark.parametrize("verb", ["positions", "deals", "trades", "spreads"])
def test_a_verb_asking_the_http_api_loads_no_configuration_or_database(tmp_path: Path, verb: str) -> None:
    api = f"http://127.0.0.1:{closed_port()}"

    result, modules = _loaded(tmp_path, verb, "--api", api)

    assert result.returncode == 1, result.stderr
    assert "cannot reach" in result.stderr
    unneeded = ("pydantic_settings", "sqlalchemy", "structlog", "yaml", "tradewind.settings", "tradewind.bootstrap")
    assert sorted(m for m in modules if m.startswith(unneeded)) == []
