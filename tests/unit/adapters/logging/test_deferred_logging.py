"""Logging configured by its first record: the same lines as the configuration made at once, structlog loaded late."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import structlog

from tests.support.logs import captured_logs
from tradewind.adapters.logging.config import configure_logging, reset_logging
from tradewind.adapters.logging.deferred import defer_logging

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")
SECRET = "hunter2-hunter2"


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    reset_logging()


def _log_a_few_records() -> None:
    """What a reading verb may log: a migration's INFO lines, a warning with a URL, an error with its traceback."""
    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s -> %s", "0018", "0019")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin %s", "x")  # chatty: kept below WARNING
    logging.getLogger("tradewind.test").debug("below the level")
    logging.getLogger("tradewind.test").warning("cannot reach %s", f"postgresql://u:{SECRET}@h/db")
    try:
        raise ValueError(f"refused by postgresql://u:{SECRET}@h/db")
    except ValueError:
        logging.getLogger("sqlalchemy.pool").exception("connection failed")


def _untimed(text: str) -> str:
    return _TIME.sub("<time>", text)


@pytest.mark.parametrize("json_output", [True, False])
@pytest.mark.parametrize("level", ["debug", "info", "warning"])
def test_the_first_record_prints_what_the_full_configuration_prints(
    capsys: pytest.CaptureFixture[str], json_output: bool, level: str
) -> None:
    defer_logging(level, json=json_output)
    _log_a_few_records()
    deferred = capsys.readouterr().err
    reset_logging()
    configure_logging(level, json=json_output)
    _log_a_few_records()
    at_once = capsys.readouterr().err

    assert _untimed(deferred) == _untimed(at_once)
    assert "connection failed" in deferred and "ValueError" in deferred  # the traceback too
    assert SECRET not in deferred
    assert ("Running upgrade" in deferred) == (level != "warning")
    assert ("below the level" in deferred) == (level == "debug")
    assert "setup plugin" not in deferred


def test_json_lines_carry_the_fields_of_the_full_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    defer_logging("info", json=True)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade")

    (line,) = [json.loads(text) for text in capsys.readouterr().err.splitlines()]

    assert {k: v for k, v in line.items() if k != "timestamp"} == {
        "event": "Running upgrade", "level": "info", "logger": "alembic.runtime.migration",
    }  # fmt: skip
    assert _TIME.fullmatch(line["timestamp"])


def test_after_the_first_record_one_console_handler_prints_each_record_once(capsys: pytest.CaptureFixture[str]) -> None:
    defer_logging("info", json=True)
    for n in range(3):
        logging.getLogger("tradewind.test").warning("record %d", n)

    events = [json.loads(text)["event"] for text in capsys.readouterr().err.splitlines()]
    consoles = [h for h in logging.getLogger().handlers if h.get_name() == "tradewind-console"]

    assert events == ["record 0", "record 1", "record 2"]
    assert len(consoles) == 1 and isinstance(consoles[0], logging.StreamHandler)


def test_a_handler_after_the_deferred_one_still_gets_the_first_record_once(capsys: pytest.CaptureFixture[str]) -> None:
    defer_logging("info", json=True)
    seen: list[str] = []
    other = logging.Handler()
    other.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(other)
    try:
        logging.getLogger("tradewind.test").warning("first")
        logging.getLogger("tradewind.test").warning("second")
    finally:
        logging.getLogger().removeHandler(other)

    assert seen == ["first", "second"]
    assert [json.loads(text)["event"] for text in capsys.readouterr().err.splitlines()] == ["first", "second"]


def test_an_unknown_level_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        defer_logging("loud")


def test_structlog_loads_with_the_first_record_and_not_before() -> None:
    code = """
import logging, sys
from tradewind.adapters.logging.deferred import defer_logging
defer_logging("warning", json=True)
logging.getLogger("quiet").info("below the level")
print("structlog" in sys.modules)
logging.getLogger("loud").warning("first record")
print("structlog" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.split() == ["False", "True"]
    assert [json.loads(line)["event"] for line in result.stderr.splitlines()] == ["first record"]


def test_a_log_capture_is_not_replaced_by_a_deferred_configuration() -> None:
    defer_logging("info", json=True)  # as a reading verb run in process by an earlier test leaves it

    with captured_logs() as logs:
        logging.getLogger("sqlalchemy.pool").warning("a stdlib record")
        structlog.get_logger("tradewind.test").info("captured")

    assert [event["event"] for event in logs] == ["captured"]
