"""Log capture shared by the tests that assert a structlog event was emitted."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import structlog
from structlog.testing import capture_logs

from tradewind.adapters.logging.settings import remove_console_handler


@contextlib.contextmanager
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """structlog events as dicts, whatever level an earlier test configured (restored afterwards)."""
    saved = structlog.get_config()
    # A reading `twap` verb an earlier test ran in process leaves a deferred console handler: its first stdlib record
    # would configure structlog, replacing the capture. The console handler has no part in a capture.
    remove_console_handler()
    structlog.reset_defaults()  # capture_logs swaps processors only; a filtering wrapper would still drop info
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**saved)
