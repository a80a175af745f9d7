"""The TWAP ``Doorbell`` port on a Unix datagram socket: a CLI ``create`` wakes the ``twap run`` of the same database.

The two processes share only the database (the embedded mode's bus is in memory), so the scheduler would otherwise
see a new job at its next poll. The socket's path is derived from the database, so a process on another database
never rings this one. A ring nobody hears is dropped: the poll still finds the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import structlog

from tradewind.adapters.store.sqlalchemy.database import Database

log = structlog.get_logger(__name__)


def doorbell_path(database: Database, folder: Path | None = None) -> Path:
    """The socket path of ``database``: the same for every process that opens it, whatever its working folder."""
    url = database.url
    where = str(Path(url.database or "").resolve()) if database.backend == "sqlite" else database.safe_url
    digest = hashlib.sha256(f"{where}#{database.schema or ''}".encode()).hexdigest()[:16]
    return (folder or Path(tempfile.gettempdir())) / f"tradewind-twap-{digest}.sock"


class _Ringing(asyncio.DatagramProtocol):
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._wake()


class UnixDoorbell:
    """One listener (the scheduler) per path; any number of ringers (the control service of each CLI call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._transport: asyncio.DatagramTransport | None = None

    async def listen(self, wake: Callable[[], None]) -> bool:
        """Call ``wake`` at each ring; False (and the poll alone finds new jobs) when another process listens."""
        if self._answered():
            log.warning("twap.doorbell_taken", path=str(self.path), fallback="wake_poll_s")
            return False
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a process that died: nobody answers on it
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(str(self.path))
        except OSError as exc:
            sock.close()
            log.warning("twap.doorbell_unavailable", path=str(self.path), error=str(exc), fallback="wake_poll_s")
            return False
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _Ringing(wake), sock=sock)
        return True

    def ring(self) -> None:
        """Wake the listener, if one listens; never fails the caller."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
            sock.sendto(b"1", str(self.path))

    def _answered(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(str(self.path))
            except OSError:  # no file, or a file nobody is bound to
                return False
        return True

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
