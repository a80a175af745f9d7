"""Logging configured on its first record: a process that logs nothing never imports structlog (nor rich, pygments).

The reading ``twap`` verbs print a table and usually log nothing, yet configuring structlog costs them a tenth of a
second of imports. :func:`defer_logging` sets the levels at once and puts a light handler on the root logger; the first
record that reaches it runs :func:`~tradewind.adapters.logging.config.configure_logging` with the same arguments and is
handed to the handler that made, so every line is exactly what the full configuration prints.
"""

from __future__ import annotations

import logging
import threading

from tradewind.adapters.logging.settings import CONSOLE_HANDLER, numeric_level, remove_console_handler, set_levels


class _ConfigureOnFirstRecord(logging.Handler):
    """Stands in for the console handler until a record arrives, then configures logging and forwards to it."""

    def __init__(self, level: str | int, json: bool | None) -> None:
        super().__init__()
        self.set_name(CONSOLE_HANDLER)  # so configure_logging and reset_logging replace it
        self._level = level
        self._json = json
        self._target: logging.Handler | None = None
        self._configuring = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._configuring:
            if self._target is None:
                self._target = self._configure()
        if record.levelno >= self._target.level:
            self._target.handle(record)

    def _configure(self) -> logging.Handler:
        from tradewind.adapters.logging.config import configure_logging  # structlog: the point of deferring it

        root = logging.getLogger()
        # A new list: the logger that is dispatching this record iterates over the old one, which must not change
        # under it (configure_logging removes this handler and adds its own in place).
        root.handlers = list(root.handlers)
        return configure_logging(self._level, json=self._json)


def defer_logging(level: str | int = "info", *, json: bool | None = None) -> None:
    """``configure_logging(level, json=json)`` when the first record is logged; the levels are set now.

    An unknown level is refused now, as ``configure_logging`` would.
    """
    set_levels(numeric_level(level))
    remove_console_handler()
    logging.getLogger().addHandler(_ConfigureOnFirstRecord(level, json))
