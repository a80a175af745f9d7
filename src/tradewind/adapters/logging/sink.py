"""A structlog processor that buffers events and writes them to a LogRepository in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import structlog

from tradewind.adapters.logging.redaction import json_safe
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.repositories import LOG_LEVELS, LogRecord, LogRepository

# Events of these loggers never reach the database: the database layer's own logs would feed back
# into the writer, and the sink reports its own trouble here (console only).
EXCLUDED_LOGGERS = ("sqlalchemy", "alembic", "tradewind.adapters.logging")
_console = logging.getLogger("tradewind.adapters.logging.sink")
_DROP = ("timestamp", "_record", "_from_structlog", "stack_info")


class DbLogSink:
    """Processor + writer task: ``__call__`` only appends to a deque, so logging never blocks the loop.

    Records are written every ``batch_size`` records or ``flush_interval_s`` seconds. When the
    database is down they are kept (up to ``max_pending``, oldest dropped beyond) and retried.
    """

    def __init__(
        self,
        repository: LogRepository,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 1.0,
        max_pending: int = 100_000,
        clock: Clock | None = None,
    ) -> None:
        if batch_size < 1 or max_pending < batch_size or flush_interval_s <= 0:
            raise ValueError("need batch_size >= 1, max_pending >= batch_size and flush_interval_s > 0")
        self._repo = repository
        self._batch = batch_size
        self._interval = flush_interval_s
        self._now_ns = clock.now_ns if clock is not None else time.time_ns
        self._pending: deque[LogRecord] = deque(maxlen=max_pending)
        self._guard = threading.Lock()  # events may come from worker threads (asyncio.to_thread)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._flush_lock: asyncio.Lock | None = None
        self.written = 0
        self.dropped = 0
        self.write_errors = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def running(self) -> bool:
        """The writer task has started and not been stopped."""
        return self._task is not None

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        record = self._record(method, event_dict)
        if record is not None:
            with self._guard:
                if len(self._pending) == self._pending.maxlen:
                    self.dropped += 1
                self._pending.append(record)
                full = len(self._pending) >= self._batch
            if full and self._loop is not None and self._wake is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._wake.set)
        return event_dict

    def _record(self, method: str, event_dict: MutableMapping[str, Any]) -> LogRecord | None:
        fields = {k: v for k, v in event_dict.items() if k not in _DROP}
        logger = str(fields.pop("logger", None) or "root")[:200]
        if logger.startswith(EXCLUDED_LOGGERS):
            return None
        level = str(fields.pop("level", method)).lower()
        level = {"warn": "warning", "exception": "error", "fatal": "critical"}.get(level, level)
        event = str(fields.pop("event", ""))
        raw_job = fields.pop("job_id", None)
        job_id = str(raw_job)[:64] if raw_job is not None else None
        exc_info = fields.pop("exc_info", None)
        if exc_info:
            formatted = structlog.processors.format_exc_info(None, "", {"exc_info": exc_info})
            fields["exception"] = formatted.get("exception", repr(exc_info))
        return LogRecord(
            ts_ns=self._now_ns(),
            level=level if level in LOG_LEVELS else "info",
            event=event,
            logger=logger,
            job_id=job_id,
            fields=json_safe(fields),
        )

    async def start(self) -> None:
        """Start the writer task on the running loop."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._task = asyncio.create_task(self._run(), name="db-log-sink")

    async def stop(self) -> None:
        """Stop the writer task and write what is still buffered."""
        if self._task is not None and self._flush_lock is not None:
            async with self._flush_lock:  # a write in flight completes first
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        assert self._wake is not None
        failing = False
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception as exc:
                if not failing:  # once per outage, not every interval: readiness reports the database too
                    _console.error("log sink write failed (%d records kept, retrying): %r", self.pending, exc)
                failing = True
                continue
            if failing:
                _console.warning("log sink writing again (%d failed writes so far)", self.write_errors)
                failing = False

    async def flush(self) -> int:
        """Write every buffered record now; returns how many. Raises if the repository is unreachable."""
        lock = self._flush_lock or asyncio.Lock()
        async with lock:
            written = 0
            while batch := self._take():
                try:
                    await self._repo.add(batch)
                except (ValueError, TypeError) as exc:
                    self.dropped += len(batch)  # rejected before any SQL ran: retrying cannot help
                    _console.error("log sink dropped %d invalid records: %s", len(batch), exc)
                    continue
                except Exception:
                    self.write_errors += 1
                    with self._guard:
                        self._pending.extendleft(reversed(batch))
                    raise
                written += len(batch)
            self.written += written
            return written

    def _take(self) -> list[LogRecord]:
        with self._guard:
            return [self._pending.popleft() for _ in range(min(self._batch, len(self._pending)))]
