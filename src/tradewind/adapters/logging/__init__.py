"""Structured logging: structlog to the console and, through a buffered sink, to the logs table.

The names below load on first use (PEP 562): the package's light modules (``settings``, ``redaction``, ``deferred``)
are imported by processes that never configure structlog, and importing them runs this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradewind.adapters.logging.config import configure_logging, reset_logging
    from tradewind.adapters.logging.settings import LoggingSettings
    from tradewind.adapters.logging.sink import DbLogSink

__all__ = ["DbLogSink", "LoggingSettings", "configure_logging", "reset_logging"]
_HOMES = {
    "DbLogSink": "sink",
    "LoggingSettings": "settings",
    "configure_logging": "config",
    "reset_logging": "config",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
