"""Running ``tradewind`` as a user does: a subprocess with its own environment, its whole output kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tradewind.adapters.store.sqlalchemy.database import Database, StoreSettings

QUIET = {"TRADEWIND_LOGGING__LEVEL": "critical"}  # only what the command itself prints, no log lines


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any ``TRADEWIND_*`` variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRADEWIND_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env | variables


def tradewind(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``tradewind ARGS`` to its end; stdout and stderr kept apart."""
    command = [sys.executable, "-m", "tradewind", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def failure_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line a failed command printed on stderr, after checking its exit code and that nothing else came."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on (for an unreachable database or broker)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def migrated_sqlite(path: Path) -> str:
    """The URL of a SQLite database at ``path`` brought to the schema head (so a verb itself does not migrate)."""
    url = f"sqlite:///{path}"
    database = Database.from_settings(StoreSettings(url=url))
    try:
        database.upgrade()
    finally:
        database.dispose()
    return url
