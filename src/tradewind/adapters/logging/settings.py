"""``logging:`` of the configuration and its standard-library side (levels, the console handler), without structlog.

Reading the settings and deferring the configuration (``deferred.py``) stay quick: structlog loads in ``config.py``.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tradewind.adapters.logging.files import LogFileSettings

CONSOLE_HANDLER = "tradewind-console"  # the root logger's handler of ours, replaced by each (re)configuration
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_CHATTY = ("apscheduler", "alembic.runtime.plugins")  # the latter: one line per Alembic plugin, every start


class LoggingSettings(BaseModel):
    """Log level, console format (``auto``: pretty on a TTY, JSON otherwise) and the DB sink's batching."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["auto", "console", "json"] = "auto"
    to_database: bool = True
    batch_size: int = Field(500, ge=1)
    flush_interval_s: float = Field(1.0, gt=0)
    file: LogFileSettings | None = None  # also to a file, as JSON lines, rotated by size and age

    @property
    def json_output(self) -> bool | None:
        """The ``json`` argument of ``configure_logging`` for this format."""
        return {"auto": None, "console": False, "json": True}[self.format]


def numeric_level(level: str | int) -> int:
    """The ``logging`` level of ``level`` (a name of ``LEVELS`` or a number); an unknown name is a ValueError."""
    numeric = LEVELS.get(level.lower()) if isinstance(level, str) else level
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}: use one of {list(LEVELS)}")
    return numeric


def set_levels(numeric: int) -> None:
    """The root logger's level, and the chatty libraries' (their INFO lines narrate every wake-up; warnings pass)."""
    logging.getLogger().setLevel(numeric)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))


def remove_console_handler() -> None:
    """Takes our console handler (configured or deferred) off the root logger and closes it."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == CONSOLE_HANDLER]:
        root.removeHandler(existing)
        existing.close()
