"""InMemoryTwapRepository: the TwapRepository port in dicts, keeping the SQL repository's rules.

A running slice's save stores progress only, so a user's pause or cancel is never overwritten; a job's end is
stored only while it is still running or paused; a fill already stored (same trade id) is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tests.fakes.logs import InMemoryLogRepository
from tradewind.application.ports.repositories import LogRecord
from tradewind.application.ports.twap import JobExists, TwapRepository
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus, SliceRecord, TwapJob
from tradewind.domain.twap.report import FillRow

_LIVE = (JobStatus.RUNNING, JobStatus.PAUSED)


class InMemoryTwapRepository:
    """Jobs, slice attempts and fills; the journal lines a call carries go to ``logs``."""

    def __init__(self, logs: InMemoryLogRepository | None = None) -> None:
        self.logs = logs or InMemoryLogRepository()
        self._jobs: dict[JobId, TwapJob] = {}
        self._slices: dict[tuple[JobId, int, int], SliceRecord] = {}
        self._fills: dict[JobId, dict[str, FillRow]] = {}

    @property
    def jobs(self) -> dict[JobId, TwapJob]:
        """Every stored job by id (for assertions)."""
        return dict(self._jobs)

    async def add_job(self, job: TwapJob) -> None:
        if job.job_id in self._jobs:
            raise JobExists(f"a TWAP job with id {job.job_id!r} already exists")
        self._jobs[job.job_id] = job

    async def get_job(self, job_id: JobId) -> TwapJob | None:
        return self._jobs.get(job_id)

    async def list_jobs(self, status: JobStatus | None = None, *, archived: bool = True) -> list[TwapJob]:
        jobs = sorted(self._jobs.values(), key=lambda j: (j.created_ns, j.job_id))
        return [j for j in jobs if (status is None or j.status is status) and (archived or not j.archived)]

    async def archive(self, job_id: JobId) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.archived or job.status in (JobStatus.RUNNING, JobStatus.PAUSED):
            return False
        self._jobs[job_id] = replace(job, archived=True)
        return True

    async def save_job(self, job: TwapJob, logs: Sequence[LogRecord] = ()) -> None:
        self._save(job)
        await self.logs.add(logs)

    async def set_control(self, job: TwapJob, expected: JobStatus) -> bool:
        stored = self._jobs[job.job_id]
        if stored.status is not expected:
            return False
        self._jobs[job.job_id] = replace(
            stored, status=job.status, paused_ns=job.paused_ns, start_ns=job.start_ns, reason=job.reason,
            end_ns=job.end_ns,
        )  # fmt: skip
        return True

    async def record_slice(self, record: SliceRecord, job: TwapJob | None = None) -> None:
        self._slices[(record.job_id, record.index, record.attempt)] = record
        if job is not None:
            self._save(job)

    async def finish_slice(
        self, record: SliceRecord, fills: Sequence[FillRow], job: TwapJob, logs: Sequence[LogRecord] = ()
    ) -> None:
        self._slices[(record.job_id, record.index, record.attempt)] = record
        stored = self._fills.setdefault(record.job_id, {})
        for n, fill in enumerate(fills):
            trade_id = fill.trade_id or f"{record.client_order_id}:{n}"
            stored.setdefault(trade_id, replace(fill, trade_id=trade_id))
        self._save(job)
        await self.logs.add(logs)

    async def slices(self, job_id: JobId, index: int | None = None) -> list[SliceRecord]:
        found = [r for (j, i, _), r in self._slices.items() if j == job_id and (index is None or i == index)]
        return sorted(found, key=lambda r: (r.index, r.attempt))

    async def fills(self, job_id: JobId) -> list[FillRow]:
        return sorted(self._fills.get(job_id, {}).values(), key=lambda f: (f.ts_ns, f.slice_index, f.trade_id))

    def _save(self, job: TwapJob) -> None:
        stored = self._jobs.get(job.job_id)
        if stored is None:
            raise KeyError(f"no TWAP job {job.job_id!r} to update")
        saved = replace(
            stored, plan=job.plan, next_index=job.next_index, dispatched=job.dispatched, filled_qty=job.filled_qty,
            arrival_price=job.arrival_price,
        )  # fmt: skip
        if job.status.is_final and stored.status in _LIVE:
            saved = replace(saved, status=job.status, reason=job.reason, end_ns=job.end_ns)
        self._jobs[job.job_id] = saved


_conforms: TwapRepository = InMemoryTwapRepository()
