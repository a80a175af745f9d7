"""InMemoryLogRepository: the LogRepository port over a list."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.application.ports.repositories import LogRecord, LogRepository


class InMemoryLogRepository:
    """Log records in insertion order; queries filter like the SQL repository and return oldest first."""

    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    async def add(self, records: Sequence[LogRecord]) -> None:
        self.records.extend(records)

    async def query(
        self,
        *,
        job_id: str | None = None,
        logger: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]:
        found = [
            r
            for r in self.records
            if (job_id is None or r.job_id == job_id)
            and (logger is None or r.logger == logger)
            and (start_ns is None or r.ts_ns >= start_ns)
            and (end_ns is None or r.ts_ns < end_ns)
        ]
        found.sort(key=lambda r: r.ts_ns)  # stable: ties stay in insertion order
        return found if limit is None else found[:limit]

    def events(self, job_id: str) -> list[str]:
        """The job's event names in order, for assertions."""
        return [r.event for r in self.records if r.job_id == job_id]


_conforms: LogRepository = InMemoryLogRepository()
