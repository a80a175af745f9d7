"""A TWAP job's decision log: every record goes to the ``logs`` table under the job's id."""

from __future__ import annotations

from typing import Any

from tradewind.application.ports.clock import Clock
from tradewind.application.ports.repositories import LogRecord, LogRepository

LOGGER = "tradewind.twap"


class JobJournal:
    """One log row per decision (slice sent, skipped for the limit, resumed, caught up, ...).

    Rows are buffered and stored by ``flush``, which each service calls when it finishes a unit of
    work (a slice, a tick, a command): one insert per slice instead of one per decision.
    """

    def __init__(self, logs: LogRepository, clock: Clock) -> None:
        self._logs = logs
        self._clock = clock
        self._pending: list[LogRecord] = []

    async def write(self, job_id: str, event: str, level: str = "info", **fields: Any) -> None:
        self._pending.append(LogRecord(self._clock.now_ns(), level, event, LOGGER, job_id, _jsonable(fields)))

    def take(self, job_id: str) -> list[LogRecord]:
        """The job's buffered rows, handed to a repository that stores them with the state change they describe.

        Only that job's: slices of other jobs run meanwhile, and their rows belong to their own transactions.
        """
        records = [r for r in self._pending if r.job_id == job_id]
        self._pending = [r for r in self._pending if r.job_id != job_id]
        return records

    async def flush(self) -> None:
        records, self._pending = self._pending, []
        if records:
            await self._logs.add(records)

    async def read(self, job_id: str) -> list[LogRecord]:
        await self.flush()
        return await self._logs.query(job_id=job_id, logger=LOGGER)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if v is None or isinstance(v, (bool, int, str)) else str(v)) for k, v in fields.items()}
