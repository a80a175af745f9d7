"""`tradewind run` on a terminal (a pseudo-terminal here) as an operator uses it: the board and the prompt are drawn,
a command is typed and answered, `quit` asks y/N, and `y` ends the process with 0 and every event recorded."""

from __future__ import annotations

import os
import pty
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.waiting import WAIT

CONFIG = """
storage: {{url: "sqlite:///{db}"}}
sim_exchange: {{port: 0}}
http: {{port: 0}}
simulator: {{step_interval_ms: 20}}
console: {{history_file: "{history}"}}
"""


class Terminal:
    """The parent side of a pty: everything the program drew, read continuously so it never blocks on output."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.screen = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.screen.extend(chunk)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + 2 * WAIT
        while text.encode() not in self.screen:
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} never appeared on the terminal")
            time.sleep(0.05)


def test_quit_typed_at_the_prompt_and_confirmed_exits_0_with_every_event_recorded(tmp_path: Path) -> None:
    db = tmp_path / "tw.db"
    config = tmp_path / "tw.yaml"
    config.write_text(CONFIG.format(db=db, history=tmp_path / "history"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")} | {"TERM": "xterm", "COLUMNS": "120",
                                                                                  "LINES": "40"}  # fmt: skip
    parent, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tradewind", "run", "-c", str(config)],
        stdin=child, stdout=child, stderr=child, env=env, cwd=tmp_path, start_new_session=True,
    )  # fmt: skip
    os.close(child)
    terminal = Terminal(parent)
    try:
        terminal.wait_for("tradewind>")
        terminal.wait_for("Markets")
        terminal.type("twap list\r")
        terminal.wait_for("(none)")
        terminal.type("quit\r")
        terminal.wait_for("are you sure? [y/N]")
        terminal.type("y\r")
        code = process.wait(timeout=2 * WAIT)
        terminal.wait_for(" recorded")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(parent)
    assert code == 0
    found = re.search(rb"stopped: (\d+) market events published, (\d+) recorded", bytes(terminal.screen))
    assert found is not None
    published, recorded = int(found[1]), int(found[2])
    with sqlite3.connect(db) as conn:
        rows = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in ("market_trades", "market_mids", "book_snapshots"))  # fmt: skip
        audited = [r[0] for r in conn.execute("SELECT text FROM command_audit ORDER BY id")]
    assert published > 0 and recorded == published == rows
    assert audited[:2] == ["twap list", "quit"] and audited[2].startswith("confirm ")
    assert (tmp_path / "history").read_text().count("twap list") == 1  # the prompt's history is kept
