"""TWAP ports: where jobs, slices and fills are kept (each call one transaction), and the persisted wake-ups."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from tradewind.application.ports.repositories import LogRecord
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus, SliceRecord, TwapJob
from tradewind.domain.twap.report import FillRow


class JobExists(ValueError):
    """A job with that id is already stored."""


class WakeOutOfRange(ValueError):
    """The waker cannot hold this job's wake-up time (beyond what its store can represent)."""

    def __init__(self, job_id: JobId, reason: str) -> None:
        super().__init__(f"job {job_id}: wake-up time out of range: {reason}")
        self.job_id = job_id


class TwapJobReads(Protocol):
    """What the reading ``twap`` verbs read: jobs, their slice records and fills."""

    async def get_job(self, job_id: JobId) -> TwapJob | None: ...

    async def list_jobs(self, status: JobStatus | None = None, *, archived: bool = True) -> list[TwapJob]:
        """Jobs by creation time, of ``status`` when given; without the archived ones when ``archived`` is False."""
        ...

    async def slices(self, job_id: JobId, index: int | None = None) -> list[SliceRecord]:
        """Slice attempts by slice then attempt; only slice ``index``'s when given."""
        ...

    async def fills(self, job_id: JobId) -> list[FillRow]: ...


class TwapRepository(TwapJobReads, Protocol):
    """Jobs with their slice records and fills; ``finish_slice`` stores a slice's outcome and the job atomically."""

    async def add_job(self, job: TwapJob) -> None: ...

    async def archive(self, job_id: JobId) -> bool:
        """Mark an ended job archived (its rows stay); False when it is not ended or is archived already."""
        ...

    async def save_job(self, job: TwapJob, logs: Sequence[LogRecord] = ()) -> None:
        """Store the job's progress; its status only when ``job`` ends it and it is still running or paused.

        ``logs``, the journal lines that describe this step, are stored in the same transaction.
        """
        ...

    async def set_control(self, job: TwapJob, expected: JobStatus) -> bool:
        """Store a user's status change if the stored status is still ``expected``; False if it moved on."""
        ...

    async def record_slice(self, record: SliceRecord, job: TwapJob | None = None) -> None:
        """Insert or update one slice attempt (and the job, when given) in one transaction."""
        ...

    async def finish_slice(
        self, record: SliceRecord, fills: Sequence[FillRow], job: TwapJob, logs: Sequence[LogRecord] = ()
    ) -> None:
        """The slice's final record, its fills (already stored ones are skipped), the job and the journal lines of the
        slice, in one transaction: a crash never leaves the job's log disagreeing with its state."""
        ...


class Doorbell(Protocol):
    """A wake-up from another process: the control service rings when it creates or changes a job, the scheduler
    listens, so a job created by a CLI call while ``twap run`` runs is picked up at once, not at the next poll."""

    def ring(self) -> None:
        """Wake the listener, if there is one; never fails."""
        ...

    async def listen(self, wake: Callable[[], None]) -> bool:
        """Call ``wake`` at each ring until ``close``; False when it cannot listen (the poll still finds jobs)."""
        ...

    async def close(self) -> None: ...


class Waker(Protocol):
    """Persisted wake-up times, at most one per job, that call the scheduler back when one falls due.

    Times are clock nanoseconds; a wake-up whose time passed while nothing ran fires at start.
    """

    async def start(self, wake: Callable[[], None]) -> None:
        """Open the store and call ``wake`` (on the event loop) each time a wake-up falls due."""
        ...

    async def sync(self, wakes: Mapping[JobId, int]) -> None:
        """Make the stored wake-ups exactly ``wakes``: add new jobs', move changed ones, remove the rest.

        Raises ``WakeOutOfRange`` naming a job whose time the store cannot hold (the others are left as they were).
        """
        ...

    async def pending(self) -> dict[JobId, int]:
        """The stored wake-ups, job id to clock nanoseconds."""
        ...

    async def close(self) -> None: ...
