"""The scheduling service: works out which slice is due from each job's state and the clock, and dispatches it.

Timing lives in the stored job (start, offsets, progress), so a restart resumes where the job stood
and a simulated clock runs an hour in milliseconds. In live runs a ``Waker`` (APScheduler's persisted job
store) holds each job's next wake-up and wakes this service; without one it sleeps on the clock.

A job whose own tick fails unexpectedly (not the database or the broker being down) is quarantined: marked failed
with the error's first line and never scheduled again, so one bad stored job cannot stop every other job.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

import structlog

from tradewind.application.messages.codec import MalformedPayload
from tradewind.application.messages.twap import JOB_COMMAND, SLICE_DONE, SLICE_DUE, SliceDue
from tradewind.application.ports.bus import Bus, BusError, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.twap import Doorbell, TwapRepository, WakeOutOfRange, Waker
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.settings import TwapSettings
from tradewind.domain.ids import JobId
from tradewind.domain.twap.job import JobStatus, TwapJob
from tradewind.domain.twap.slicer import catch_up_cap_lots, catch_up_plan, due_slice
from tradewind.domain.twap.spec import CatchUpPolicy

log = structlog.get_logger(__name__)

_NS = 1_000_000_000
_OUTAGE_FIRST_S = 0.5  # the first retry after the database or broker went away, doubling ...
_OUTAGE_MAX_S = 10.0  # ... up to this: a recovered dependency is used again within seconds
# A dependency being down, not a fault of one job: the whole tick fails and is retried (the runner restarts it).
_DEPENDENCY_ERRORS = (StoreUnavailable, BusError, ConnectionError, TimeoutError, OSError)


class TwapScheduler:
    """Dispatches due slices to the ``twap.slice`` work queue, one slice in flight per job."""

    def __init__(  # noqa: PLR0917 - the service's collaborators
        self,
        repo: TwapRepository,
        bus: Bus,
        clock: Clock,
        journal: JobJournal,
        settings: TwapSettings,
        waker: Waker | None = None,
        doorbell: Doorbell | None = None,
    ) -> None:
        self._repo = repo
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self._settings = settings
        self._waker = waker
        self._doorbell = doorbell
        self._wake = asyncio.Event()
        self._job_wakes: dict[JobId, int] = {}  # each running job's next wake-up, from the last tick
        self._subs: list[Subscription] = []
        self._sent_ns: dict[tuple[str, int], int] = {}  # in-flight slices dispatched by this process
        self._flight = False
        # The clock time this service sleeps until; None while a slice is in flight (it waits for its event).
        self.wake_ns: int | None = None
        self._ticking = False
        self.outage: str | None = None  # the database or broker error the scheduler is waiting out, if any

    async def start(self) -> None:
        if self._waker is not None:
            await self._waker.start(self.wake)
        if self._doorbell is not None:
            await self._doorbell.listen(self.wake)
        self._subs.append(await self._bus.subscribe(JOB_COMMAND.kind, self._on_message))
        self._subs.append(await self._bus.subscribe(SLICE_DONE.kind, self._on_message))

    async def close(self) -> None:
        for sub in self._subs:
            await sub.cancel()
        self._subs.clear()
        if self._doorbell is not None:
            await self._doorbell.close()
        if self._waker is not None:
            await self._waker.close()

    def wake(self) -> None:
        self._wake.set()

    @property
    def busy(self) -> bool:
        """Woken or ticking: not waiting on the clock (a simulated-clock driver must not move time on meanwhile)."""
        return self._ticking or self._wake.is_set()

    async def _on_message(self, message: Message) -> None:
        if message.topic == JOB_COMMAND.kind:
            try:
                command = JOB_COMMAND.decode(message.payload)
            except MalformedPayload:
                command = None  # still a reason to look at the jobs again
            if command is not None and command.action == "resume":
                self._sent_ns = {k: v for k, v in self._sent_ns.items() if k[0] != command.job_id}
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Tick, then sleep until the next slice is due (on the clock, or the waker's call) or a message arrives.

        The database or the broker being down is waited out here with backoff (readiness reports it): it is not a
        crash, so liveness stays green and no orchestrator restarts the process for an outage it cannot fix.
        """
        outages = 0
        while not stop.is_set():
            self._ticking = True
            self._wake.clear()
            try:
                next_ns = await self.tick()
                await self._sync_waker()
            except _DEPENDENCY_ERRORS as exc:
                outages += 1
                self.outage = f"{type(exc).__name__}: {exc}"
                delay = min(_OUTAGE_FIRST_S * 2 ** min(outages - 1, 16), _OUTAGE_MAX_S)
                log.warning("twap.dependency_down", error=self.outage, attempt=outages, retry_in_s=delay)
                with contextlib.suppress(TimeoutError):  # real time: an outage ends on the wall clock
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            finally:
                self._ticking = False
            if outages:
                log.info("twap.dependency_back", after_attempts=outages)
                outages, self.outage = 0, None
            self.wake_ns = None if self._flight else next_ns
            await self._wait(stop, next_ns if self._waker is None else None)
            self.wake_ns = None

    async def _wait(self, stop: asyncio.Event, next_ns: int | None) -> None:
        waiters: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(stop.wait()),
        ]
        if next_ns is not None:
            waiters.append(asyncio.ensure_future(self._sleep_until(next_ns)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter

    async def _sleep_until(self, target_ns: int) -> None:
        # Measured when the task starts, not when it is created: the clock may have moved in between.
        await self._clock.sleep((target_ns - self._clock.now_ns()) / _NS)

    async def tick(self) -> int | None:
        """Dispatch every due slice; return the clock time the next one falls due (None if none is waiting)."""
        wakes: dict[JobId, int] = {}
        self._flight = False
        try:
            for job in await self._repo.list_jobs(JobStatus.RUNNING):
                try:
                    wake = await self._tick_job(job)
                except _DEPENDENCY_ERRORS:
                    raise
                except Exception as exc:
                    await self._quarantine_if_readable(job, exc)
                    continue
                if wake is not None:
                    wakes[job.job_id] = wake
        finally:
            await self._journal.flush()
        self._job_wakes = wakes
        return min(wakes.values()) if wakes else None

    async def _tick_job(self, job: TwapJob) -> int | None:
        now = self._clock.now_ns()
        if job.in_flight:
            self._flight = True
            # Sent by an earlier process, or too long ago: the ordering side is idempotent, so send again.
            key = (job.job_id, job.dispatched)
            sent = self._sent_ns.get(key)
            redispatch = round(self._settings.redispatch_after_s * _NS)
            if sent is None or now - sent >= redispatch:
                await self._journal.write(job.job_id, "twap.slice_redispatched", index=job.dispatched)
                await self._publish(job, job.dispatched, now)
                sent = now
            return sent + redispatch
        if job.next_index >= job.slices:
            return None
        due = due_slice(job.offsets_ns, job.start_ns, job.next_index, now)
        if due is None:
            return job.due_ns(job.next_index)
        cap = catch_up_cap_lots(sum(job.plan), job.slices, self._settings.catch_up_max_slices)
        plan = catch_up_plan(job.plan, due, job.spec.catch_up, job.spec.seed + due.index, cap)
        if due.missed:
            event = "twap.caught_up" if job.spec.catch_up is CatchUpPolicy.CATCH_UP else "twap.missed_skipped"
            await self._journal.write(job.job_id, event, missed=",".join(map(str, due.missed)), index=due.index)
        updated = replace(job, plan=tuple(plan), next_index=due.index, dispatched=due.index)
        await self._repo.save_job(updated)
        await self._publish(updated, due.index, now)
        self._flight = True
        return now + round(self._settings.redispatch_after_s * _NS)

    async def _sync_waker(self) -> None:
        """Hand the wake-ups to the waker; a job whose wake-up it cannot hold is quarantined, the others synced."""
        if self._waker is None:
            return
        while True:
            try:
                await self._waker.sync(self._job_wakes)
                return
            except WakeOutOfRange as exc:
                job = await self._repo.get_job(exc.job_id)
                self._job_wakes.pop(exc.job_id, None)
                if job is not None and job.status is JobStatus.RUNNING:
                    await self._quarantine(job, exc)
                    await self._journal.flush()

    async def _quarantine_if_readable(self, job: TwapJob, error: Exception) -> None:
        """Quarantine ``job`` for ``error``, unless its own row cannot be read now: then the store is down, not it."""
        try:
            current = await self._repo.get_job(job.job_id)
        except Exception:
            raise error from None
        if current is not None and current.status is JobStatus.RUNNING:
            await self._quarantine(current, error)

    async def _quarantine(self, job: TwapJob, error: Exception) -> None:
        """Mark the job failed with the error's first line: it is not scheduled again, the other jobs go on."""
        reason = f"quarantined: {_first_line(error)}"
        self._sent_ns = {k: v for k, v in self._sent_ns.items() if k[0] != job.job_id}
        failed = replace(job, status=JobStatus.FAILED, reason=reason, end_ns=self._clock.now_ns())
        await self._journal.write(job.job_id, "twap.quarantined", "error", reason=reason, error=type(error).__name__)
        await self._repo.save_job(failed, self._journal.take(job.job_id))
        log.error("twap.quarantined", job_id=job.job_id, reason=reason, exc_info=error)

    async def _publish(self, job: TwapJob, index: int, now: int) -> None:
        self._sent_ns[(job.job_id, index)] = now
        await self._bus.publish(SLICE_DUE.kind, SLICE_DUE.encode(SliceDue(job.job_id, index)))


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
