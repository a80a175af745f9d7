"""The TWAP ``Waker`` port on APScheduler: one persisted date job per active TWAP job, in its SQLAlchemy job store.

The stored job only wakes the TWAP scheduler, which then works out what is due from the job state and the
clock; so a wake-up that fires late or twice costs one tick, never a slice. No job function holds state:
the fired event reaches this object through an APScheduler listener.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.schedule_tables import APSCHEDULER_TABLE
from tradewind.application.ports.twap import WakeOutOfRange
from tradewind.domain.ids import JobId

STORE = "twap"  # the persisted job store's alias
_LOCAL = "local"  # in memory: the periodic re-check, rebuilt at every start
_PREFIX = "twap-wake:"
_POLL_ID = "twap-poll"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def wake_up(job_id: str) -> None:
    """The stored jobs' function: does nothing itself; the listener wakes the TWAP scheduler."""


def to_datetime(ns: int) -> datetime:
    """Clock nanoseconds as an aware UTC datetime, rounded up to the microsecond (never before the due time)."""
    return _EPOCH + timedelta(microseconds=-(-ns // 1000))


def to_ns(when: datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


class ApschedulerWaker:
    """``Waker`` over an AsyncIOScheduler with a SQLAlchemyJobStore in the TWAP database (table ``apscheduler_jobs``).

    ``poll_s`` adds an in-memory periodic wake-up, so jobs created by another process (a CLI ``create``
    that no bus carried here) are picked up within that time.
    """

    def __init__(self, database: Database, *, poll_s: float | None = None) -> None:
        self._database = database
        self._poll_s = poll_s
        self._scheduler: AsyncIOScheduler | None = None
        self._wake: Callable[[], None] | None = None
        self.fired = 0

    async def start(self, wake: Callable[[], None]) -> None:
        if self._scheduler is not None:
            raise RuntimeError("waker already started")
        self._wake = wake
        store = _SharedEngineStore(
            engine=self._database.engine, tablename=APSCHEDULER_TABLE, tableschema=self._database.schema
        )
        scheduler = AsyncIOScheduler(
            jobstores={STORE: store, _LOCAL: MemoryJobStore()},
            # Run however late (a wake-up missed while the process was down fires at start), once.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        if self._poll_s is not None:
            scheduler.add_job(
                wake_up, IntervalTrigger(seconds=self._poll_s), args=(_POLL_ID,), id=_POLL_ID, jobstore=_LOCAL
            )
        scheduler.start()  # loads the stored wake-ups; one missed while nothing ran fires now
        self._scheduler = scheduler

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.job_id == _POLL_ID or event.job_id.startswith(_PREFIX):
            self.fired += 1
            if self._wake is not None:
                self._wake()

    def _running(self) -> AsyncIOScheduler:
        if self._scheduler is None:
            raise RuntimeError("waker not started")
        return self._scheduler

    async def sync(self, wakes: Mapping[JobId, int]) -> None:
        scheduler = self._running()
        await asyncio.to_thread(self._sync, scheduler, dict(wakes))

    @staticmethod
    def _sync(scheduler: AsyncIOScheduler, wakes: dict[JobId, int]) -> None:
        wanted: dict[str, tuple[JobId, datetime]] = {}
        for job_id, ns in wakes.items():
            try:
                wanted[f"{_PREFIX}{job_id}"] = (job_id, to_datetime(ns))
            except (OverflowError, ValueError) as exc:  # beyond year 9999: a datetime cannot hold it
                raise WakeOutOfRange(job_id, str(exc)) from exc
        stored = {job.id: job for job in scheduler.get_jobs(jobstore=STORE) if job.id.startswith(_PREFIX)}
        for key in stored.keys() - wanted.keys():
            scheduler.remove_job(key, jobstore=STORE)
        for key, (job_id, when) in wanted.items():
            current = stored.get(key)
            if current is None or current.next_run_time != when:
                scheduler.add_job(
                    wake_up, DateTrigger(when), args=(job_id,), id=key, jobstore=STORE, replace_existing=True
                )

    async def pending(self) -> dict[JobId, int]:
        scheduler = self._running()
        jobs = await asyncio.to_thread(scheduler.get_jobs, jobstore=STORE)
        return {
            JobId(job.id.removeprefix(_PREFIX)): to_ns(job.next_run_time)
            for job in jobs
            if job.id.startswith(_PREFIX) and job.next_run_time is not None
        }

    async def close(self) -> None:
        """Stop waking; the stored wake-ups stay for the next start."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.remove_listener(self._on_event)
            if scheduler.running:
                scheduler.shutdown(wait=False)
                await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback: let it run


class _SharedEngineStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler has no type hints
    """The SQLAlchemy job store on the Database's engine: migration 0003 owns its table, the Database its engine."""

    def start(self, scheduler: object, alias: str) -> None:
        # No CREATE TABLE here: racing the migrating service would make its migration 0003 fail.
        BaseJobStore.start(self, scheduler, alias)

    def shutdown(self) -> None:
        """The Database owns the engine and disposes of it."""
