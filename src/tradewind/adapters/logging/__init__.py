"""Structured logging: structlog to the console and, through a buffered sink, to the logs table.

The names below load on first use (PEP 562): the package's light modules (``settings``, ``redaction``, ``deferred``)
are imported by processes that never configure structlog, and importing them runs this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradewind.lazy import LazyNames

if TYPE_CHECKING:
    from tradewind.adapters.logging.config import configure_logging as configure_logging
    from tradewind.adapters.logging.config import reset_logging as reset_logging
    from tradewind.adapters.logging.settings import LoggingSettings as LoggingSettings
    from tradewind.adapters.logging.sink import DbLogSink as DbLogSink

_LAZY = LazyNames(
    __name__,
    {"config": ("configure_logging", "reset_logging"), "settings": ("LoggingSettings",), "sink": ("DbLogSink",)},
)
__all__ = _LAZY.names  # noqa: PLE0605 # built from the map: each name listed once
__getattr__ = _LAZY.load
