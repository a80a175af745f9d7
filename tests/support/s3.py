"""A real S3-compatible server on loopback (moto's server mode, as a subprocess) and buckets on it."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from tests.support.processes import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]

ACCESS_KEY = "lake-test-key"
SECRET_KEY = "S3cr3tLakeKey"  # distinctive: the secrets test looks for it in every output


@dataclass(frozen=True, slots=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>

    def filesystem(self, *, create_buckets: bool = False) -> pafs.S3FileSystem:
        host = self.endpoint.removeprefix("http://")
        return pafs.S3FileSystem(
            access_key=ACCESS_KEY, secret_key=SECRET_KEY, endpoint_override=host, scheme="http", region="us-east-1",
            allow_bucket_creation=create_buckets,
        )  # fmt: skip

    def new_bucket(self) -> str:
        """A fresh bucket of this test's own."""
        name = f"lake-{uuid.uuid4().hex[:12]}"
        self.filesystem(create_buckets=True).create_dir(name)
        return name

    def lake_env(self, bucket: str, prefix: str = "lake") -> dict[str, str]:
        """The ``TRADEWIND_LAKE__*`` variables pointing a process at ``bucket`` on this server."""
        return {
            "TRADEWIND_LAKE__BUCKET": bucket,
            "TRADEWIND_LAKE__PREFIX": prefix,
            "TRADEWIND_LAKE__ENDPOINT": self.endpoint,
            "TRADEWIND_LAKE__ACCESS_KEY_ID": ACCESS_KEY,
            "TRADEWIND_LAKE__SECRET_ACCESS_KEY": SECRET_KEY,
        }


@contextlib.contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto's S3 server (``tests/support/s3_server.py``) on a free loopback port, stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.s3_server", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
