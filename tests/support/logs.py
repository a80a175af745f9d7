"""Log capture shared by the tests that assert a structlog event was emitted."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import structlog
from structlog.testing import capture_logs


@contextlib.contextmanager
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """structlog events as dicts, whatever level an earlier test configured (restored afterwards)."""
    saved = structlog.get_config()
    structlog.reset_defaults()  # capture_logs swaps processors only; a filtering wrapper would still drop info
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**saved)
