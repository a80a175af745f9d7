"""Every way a command can fail to start ends in one line naming the key or the cause: exit 2 for the configuration,
exit 1 for a dependency that is not there (docs/deploy.md, "Exit codes")."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.cli import QUIET, closed_port, environment, failure_line, tradewind

RUN = ("run", "--headless", "--duration", "30")
BAD_CONFIGURATION, CANNOT_START = 2, 1


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def _sqlite(tmp_path: Path, **more: str) -> dict[str, str]:
    """A runnable embedded system in ``tmp_path`` on free ports, logging nothing."""
    runnable = {
        "TRADEWIND_STORAGE__URL": f"sqlite:///{tmp_path / 'tw.db'}",
        "TRADEWIND_SIM_EXCHANGE__PORT": "0",
        "TRADEWIND_HTTP__PORT": "0",
    }
    return environment(**(runnable | QUIET | more))


@pytest.mark.parametrize(
    "command",
    [RUN, ("sim-exchange", "--port", "0"), ("service", "storage"), ("twap", "list"), ("config",)],
    ids=lambda c: c[0],
)
def test_malformed_yaml_stops_every_command_naming_its_position(tmp_path: Path, command: tuple[str, ...]) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text("storage:\n  url: [sqlite:///x.db\nlogging: {}\n")

    result = tradewind(*command, "--config", str(config), env=environment(), cwd=tmp_path)

    line = failure_line(result, BAD_CONFIGURATION)
    assert line.startswith(f"config file {config} is not valid YAML at line 3, column 8:"), line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- storage\n- logging\n", "must be a mapping of sections (storage:, logging:, ...), not a list"),
        ("", "is empty (or only comments)"),
        ("# nothing set\n", "is empty (or only comments)"),
    ],
    ids=["list", "empty", "comments"],
)
def test_a_file_without_a_mapping_of_sections_is_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text(text)
    assert message in failure_line(tradewind(*RUN, "-c", str(config), env=_sqlite(tmp_path), cwd=tmp_path), 2)


def test_an_unknown_environment_section_is_refused_naming_the_variable(tmp_path: Path) -> None:
    result = tradewind(*RUN, env=_sqlite(tmp_path, TRADEWIND_NOPE__X="1"), cwd=tmp_path)
    assert failure_line(result, BAD_CONFIGURATION).startswith(
        "environment variable TRADEWIND_NOPE__X: no section 'nope'"
    )


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    port = closed_port()
    env = _sqlite(tmp_path, TRADEWIND_STORAGE__URL=f"postgresql+psycopg://tw:hunter2@127.0.0.1:{port}/x")

    line = failure_line(tradewind(*RUN, env=env, cwd=tmp_path), CANNOT_START)

    assert line.startswith(f"cannot start: database postgresql+psycopg://tw:***@127.0.0.1:{port}/x: connection failed")
    assert "Connection refused" in line


def test_a_missing_database_is_named(tmp_path: Path, postgres_url: str) -> None:
    name = f"tw_missing_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)

    line = failure_line(tradewind(*RUN, env=_sqlite(tmp_path, TRADEWIND_STORAGE__URL=url), cwd=tmp_path), CANNOT_START)

    assert line.startswith("cannot start: database postgresql") and f'database "{name}" does not exist' in line


def test_an_sqlite_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the folder should be")
    env = _sqlite(tmp_path, TRADEWIND_STORAGE__URL=f"sqlite:///{tmp_path / 'blocker' / 'tw.db'}")

    line = failure_line(tradewind(*RUN, env=env, cwd=tmp_path), CANNOT_START)

    folder = tmp_path / "blocker"
    assert (
        line
        == f"cannot start: storage.url: cannot create the folder {folder} of {folder / 'tw.db'}: a file is in the way"
    )


def test_an_sqlite_file_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    (tmp_path / "tw.db").mkdir()  # a folder where the database file should be
    line = failure_line(tradewind(*RUN, env=_sqlite(tmp_path), cwd=tmp_path), CANNOT_START)
    assert line == f"cannot start: database sqlite:///{tmp_path / 'tw.db'}: unable to open database file"


@pytest.mark.parametrize("command", [RUN, ("twap", "run")], ids=lambda c: c[0])
def test_an_exchange_without_credentials_is_named_with_its_variables(tmp_path: Path, command: tuple[str, ...]) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text(
        "exchanges:\n  entries:\n    sim: {}\n    bx: {type: bybit, env: sim-server, url: 'http://127.0.0.1:1'}\n"
    )

    result = tradewind(*command, "-c", str(config), env=_sqlite(tmp_path), cwd=tmp_path)

    assert failure_line(result, BAD_CONFIGURATION) == (
        "exchange 'bx': set TRADEWIND_BX_API_KEY and TRADEWIND_BX_API_SECRET, or secrets_file"
    )


def test_the_http_port_in_use_is_one_line_not_uvicorns_exit(tmp_path: Path, busy_port: int) -> None:
    result = tradewind(*RUN, env=_sqlite(tmp_path, TRADEWIND_HTTP__PORT=str(busy_port)), cwd=tmp_path)
    assert failure_line(result, CANNOT_START) == (
        f"cannot start: cannot listen on 127.0.0.1:{busy_port} for the HTTP API (http.host, http.port): "
        "Address already in use"
    )


@pytest.mark.parametrize("command", [RUN, ("sim-exchange",)], ids=lambda c: c[0])
def test_the_simulated_exchanges_port_in_use_is_named(tmp_path: Path, busy_port: int, command: tuple[str, ...]) -> None:
    result = tradewind(*command, env=_sqlite(tmp_path, TRADEWIND_SIM_EXCHANGE__PORT=str(busy_port)), cwd=tmp_path)
    assert failure_line(result, CANNOT_START) == (
        f"cannot start: cannot listen on 127.0.0.1:{busy_port} for the simulated exchange "
        "(sim_exchange.host, sim_exchange.port): Address already in use"
    )


def test_a_sim_entry_must_trade_an_account_of_the_venue(tmp_path: Path) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text("exchanges:\n  entries:\n    sim: {sim_account: nobody}\n")
    assert failure_line(tradewind(*RUN, "-c", str(config), env=_sqlite(tmp_path), cwd=tmp_path), 2) == (
        "exchanges.entries.sim.sim_account: 'nobody' is the api_key of no venue.accounts entry"
    )


@pytest.mark.parametrize("command", [RUN, ("config",)], ids=lambda c: c[0])
def test_a_market_without_an_instrument_is_one_line_naming_the_key(tmp_path: Path, command: tuple[str, ...]) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text("simulator:\n  markets:\n    - {category: linear, symbol: SOLUSDT}\n")

    line = failure_line(tradewind(*command, "-c", str(config), env=_sqlite(tmp_path), cwd=tmp_path), BAD_CONFIGURATION)

    assert line.startswith(
        f"invalid configuration in {config}: simulator: markets.0 (linear:SOLUSDT): no instrument linear:SOLUSDT; "
        "add it under simulator.instruments"
    ), line


def test_a_simulated_clock_with_nothing_to_drive_it_is_refused(tmp_path: Path) -> None:
    line = failure_line(tradewind(*RUN, env=_sqlite(tmp_path, TRADEWIND_CLOCK="sim"), cwd=tmp_path), BAD_CONFIGURATION)
    assert line.startswith("clock: sim needs something to move it: give --sim-speed N"), line
