"""Real processes for end-to-end tests: a free loopback port, and a ``tradewind sim-exchange`` process on it."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

TRADEWIND = [sys.executable, "-m", "tradewind"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on ``port``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {port} within {timeout} s")


@contextlib.contextmanager
def sim_exchange_process(cwd: Path, env: Mapping[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``tradewind sim-exchange`` on a free port: yields the port (once it listens) and the process."""
    port = free_port()
    process = subprocess.Popen(
        [*TRADEWIND, "sim-exchange", "--port", str(port)], env=dict(env), cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port)
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(10)
