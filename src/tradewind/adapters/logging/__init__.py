"""Structured logging: structlog to the console and, through a buffered sink, to the logs table."""

from tradewind.adapters.logging.config import LoggingSettings, configure_logging, reset_logging
from tradewind.adapters.logging.sink import DbLogSink

__all__ = ["DbLogSink", "LoggingSettings", "configure_logging", "reset_logging"]
