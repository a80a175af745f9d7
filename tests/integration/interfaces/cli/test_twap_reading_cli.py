"""The reading ``twap`` verbs on their narrow path: only their sections are checked, refusals are as before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import QUIET, closed_port, environment, failure_line, migrated_sqlite, tradewind


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite database at the schema head, with no job."""
    return migrated_sqlite(tmp_path / "tw.db")


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_section_the_verb_does_not_read_is_not_checked_but_config_still_refuses_it(tmp_path: Path, url: str) -> None:
    path = _config(tmp_path, f"storage: {{url: '{url}'}}\nsimulator: {{no_such_key: 1}}\n")

    listed = tradewind("twap", "list", "-c", str(path), env=environment(**QUIET), cwd=tmp_path)
    checked = tradewind("config", "-c", str(path), env=environment(**QUIET), cwd=tmp_path)

    assert listed.returncode == 0, listed.stderr
    assert "no TWAP jobs" in listed.stdout
    assert failure_line(checked, 2).endswith("simulator.no_such_key: unknown key")


@pytest.mark.parametrize(("log_format", "level"), [("json", "info"), ("console", "info"), ("json", "warning")])
def test_a_reading_verb_that_logs_prints_in_the_configured_format_and_level(
    tmp_path: Path, log_format: str, level: str
) -> None:
    """A database that is not migrated yet: the verb migrates it, and Alembic's lines are the first records."""
    path = _config(
        tmp_path, f"storage: {{url: 'sqlite:///{tmp_path / 'new.db'}'}}\nlogging: {{format: {log_format}}}\n"
    )

    result = tradewind("twap", "list", "-c", str(path), env=environment(TRADEWIND_LOGGING__LEVEL=level), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "no TWAP jobs" in result.stdout
    lines = result.stderr.splitlines()
    if level == "warning":
        assert lines == []
    elif log_format == "json":
        records = [json.loads(line) for line in lines]
        assert {(r["level"], r["logger"]) for r in records} == {("info", "alembic.runtime.migration")}
        assert any(r["event"].startswith("Running upgrade") for r in records)
    else:
        assert lines and all("[info     ] " in line and "alembic.runtime.migration" in line for line in lines), lines


def test_an_environment_override_reaches_the_reading_verbs(tmp_path: Path, url: str) -> None:
    path = _config(tmp_path, "storage: {url: 'sqlite:////nonexistent/dir/tw.db'}\n")

    result = tradewind(
        "twap", "show", "nojob", "-c", str(path), env=environment(**QUIET, TRADEWIND_STORAGE__URL=url), cwd=tmp_path
    )

    assert failure_line(result, 2) == "no TWAP job 'nojob': `tradewind twap list` shows the jobs"


@pytest.mark.parametrize(
    ("text", "code", "start"),
    [
        ("storage: {url: 'sqlite:///x.db', bogus: 1}\n", 2, "invalid configuration in "),
        ("mode: distributed\nstorage: {url: 'sqlite:///x.db'}\n", 2, "distributed mode stores to PostgreSQL"),
        ("storage: [1, 2\n", 2, "config file "),
    ],
)
def test_a_bad_configuration_of_a_reading_section_exits_as_before(
    tmp_path: Path, text: str, code: int, start: str
) -> None:
    path = _config(tmp_path, text)

    result = tradewind("twap", "report", "nojob", "-c", str(path), env=environment(**QUIET), cwd=tmp_path)

    assert failure_line(result, code).startswith(start)
    assert not (tmp_path / "x.db").exists()  # refused before any database is opened


def test_an_unreachable_database_is_exit_code_1(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/tradewind"
    path = _config(tmp_path, f"mode: distributed\nstorage: {{url: '{url}'}}\n")

    result = tradewind("twap", "list", "-c", str(path), env=environment(**QUIET), cwd=tmp_path)

    assert failure_line(result, 1).startswith("cannot start: database postgresql+psycopg://postgres@127.0.0.1:")


@pytest.mark.parametrize("verb", [("twap", "list"), ("db", "upgrade")])
def test_a_database_written_by_a_newer_release_is_refused_by_name_not_a_traceback(
    tmp_path: Path, url: str, verb: tuple[str, ...]
) -> None:
    with sqlite3.connect(tmp_path / "tw.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    path = _config(tmp_path, f"storage: {{url: '{url}'}}\n")

    result = tradewind(*verb, "-c", str(path), env=environment(**QUIET), cwd=tmp_path)

    assert "Traceback" not in result.stderr
    line = failure_line(result, 2)
    assert "schema revision '0999_from_the_future'" in line
    assert "does not know" in line
    with sqlite3.connect(tmp_path / "tw.db") as conn:  # nothing was migrated or stamped
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0999_from_the_future",)]
