"""Log files that rotate by size and by age: numbered backups (``tradewind.log.1`` newest), the oldest deleted."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AgeUnit = Literal["S", "M", "H", "D", "midnight"]


class LogFileSettings(BaseModel):
    """``logging.file``: where, and when a file is closed and kept as a backup (whichever comes first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)  # a file this large is rotated
    when: AgeUnit = "midnight"  # a file this old is rotated: every `interval` seconds/minutes/hours/days, or midnight
    interval: int = Field(1, ge=1)
    backups: int = Field(7, ge=0, le=1000)  # files kept besides the current one; older ones are deleted


class RotatingLogFile(logging.handlers.TimedRotatingFileHandler):
    """The standard library's time-based rotation plus a size limit; backups are numbered so that two rotations in
    the same second (or day) never overwrite each other."""

    def __init__(self, settings: LogFileSettings) -> None:
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            settings.path, when=settings.when, interval=settings.interval, backupCount=settings.backups,
            encoding="utf-8", delay=True, utc=True,
        )  # fmt: skip
        self.max_bytes = settings.max_bytes

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - the standard library's name
        if super().shouldRollover(record):
            return True
        if self.stream is None:
            self.stream = self._open()
        size = self.stream.seek(0, os.SEEK_END)
        return size > 0 and size + len(self.format(record).encode()) + 1 > self.max_bytes

    def doRollover(self) -> None:  # noqa: N802 - the standard library's name
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        if self.backupCount > 0:
            for index in range(self.backupCount - 1, 0, -1):
                if os.path.exists(f"{base}.{index}"):
                    os.replace(f"{base}.{index}", f"{base}.{index + 1}")
            if os.path.exists(base):
                os.replace(base, f"{base}.1")
        elif os.path.exists(base):
            os.remove(base)
        self.rolloverAt = self.computeRollover(int(time.time()))
        self.stream = self._open()


class FileTee:
    """A structlog processor writing each event as a JSON line to ``handler`` (after secrets are masked)."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        line = json.dumps(dict(event_dict), default=str)
        level = logging.getLevelName(str(event_dict.get("level", method)).upper())
        record = logging.LogRecord("tradewind", level if isinstance(level, int) else logging.INFO, "", 0, line,
                                   None, None)  # fmt: skip
        self.handler.handle(record)
        return event_dict
