"""structlog configuration: console (pretty on a TTY, JSON lines otherwise) plus an optional DB sink.

structlog loggers run structlog's own fast path (a filtered-out debug call costs a few µs); records
of the standard library's loggers (SQLAlchemy, Alembic, third parties) go through a handler with the
same processors, so every line has one shape and secrets are masked in all of them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog
from structlog.typing import Processor

from tradewind.adapters.logging.files import FileTee, LogFileSettings, RotatingLogFile
from tradewind.adapters.logging.redaction import redact_secrets
from tradewind.adapters.logging.settings import (
    CONSOLE_HANDLER,
    LoggingSettings,
    numeric_level,
    remove_console_handler,
    set_levels,
)
from tradewind.adapters.logging.sink import DbLogSink

__all__ = ["LoggingSettings", "configure_logging", "reset_logging"]


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at each write: a test runner that swaps it (and closes its own) is followed."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's WriteLogger that remembers the name given to ``get_logger``."""

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name


def _add_name(logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event_dict.setdefault("logger", getattr(logger, "name", None) or "root")
    return event_dict


def configure_logging(
    level: str | int = "info",
    *,
    json: bool | None = None,
    sink: DbLogSink | None = None,
    stream: TextIO | None = None,
    file: LogFileSettings | None = None,
) -> logging.Handler:
    """Send structlog and stdlib logging to ``stream`` (stderr) and, if given, to ``sink``; returns the root's handler.

    ``json=None`` picks JSON lines unless ``stream`` is a terminal. Calling it again replaces the
    previous configuration.
    """
    numeric = numeric_level(level)
    out = stream if stream is not None else cast(TextIO, _CurrentStderr())  # write, flush and isatty suffice
    use_json = (not _isatty(out)) if json is None else json

    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    # redact_secrets renders tracebacks as text (without local variables) so that they are masked too.
    tail: list[Processor] = [redact_secrets]
    _close_file()
    if file is not None:
        _FILE.append(RotatingLogFile(file))
        tail.append(FileTee(_FILE[0]))
    if sink is not None:
        tail.append(sink)
    renderer: Processor
    if use_json:
        renderer = structlog.processors.JSONRenderer(default=str)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=_isatty(out))

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _add_name,
            stamp,
            *tail,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *args: _NamedWriteLogger(out, str(args[0]) if args else "root"),
        cache_logger_on_first_use=False,  # loggers made at import time follow a later reconfiguration
    )
    foreign: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        stamp,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=foreign,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.set_name(CONSOLE_HANDLER)
    handler.setFormatter(formatter)
    remove_console_handler()
    logging.getLogger().addHandler(handler)
    set_levels(numeric)
    return handler


def reset_logging() -> None:
    """Undo :func:`configure_logging` (tests, or an embedding application with its own setup)."""
    remove_console_handler()
    _close_file()
    structlog.reset_defaults()


# The open log file of the process: logging's configuration is process-wide, so a reconfiguration closes it here.
_FILE: list[RotatingLogFile] = []


def _close_file() -> None:
    while _FILE:
        _FILE.pop().close()


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False
