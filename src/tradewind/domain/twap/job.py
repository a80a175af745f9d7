"""A TWAP job's persisted state and its slices' records; transitions return new values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.twap.spec import TwapSpec


class JobStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"  # the price limit was hit under the stop policy
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self not in (JobStatus.RUNNING, JobStatus.PAUSED)


class SliceStatus(StrEnum):
    SENT = "sent"  # recorded before the order leaves: on resume, reconcile by client order id
    DONE = "done"
    SKIPPED = "skipped"


class JobTransitionError(ValueError):
    """A control action that does not apply to the job's state; the message says why."""


@dataclass(frozen=True, slots=True)
class TwapJob:
    """Spec plus progress. ``plan`` is lots per slice; ``offsets_ns`` when each is due after ``start_ns``.

    ``next_index`` is the first slice not finished; ``dispatched`` the highest slice handed to the
    ordering service (equal to ``next_index`` while that slice is in flight, else ``next_index - 1``).
    """

    job_id: JobId
    spec: TwapSpec
    total_qty: Decimal
    qty_step: Decimal
    plan: tuple[int, ...]
    offsets_ns: tuple[int, ...]
    start_ns: int
    created_ns: int
    status: JobStatus = JobStatus.RUNNING
    next_index: int = 0
    dispatched: int = -1
    filled_qty: Decimal = Decimal(0)
    arrival_price: Decimal | None = None
    reason: str = ""
    paused_ns: int | None = None
    end_ns: int | None = None
    order_tag: str = ""  # random, in every client order id: an earlier job's orders under the same id are not ours
    archived: bool = False  # hidden from lists; its rows stay
    tick_size: Decimal | None = None  # the instrument's, for rendering prices; None on jobs stored before 0009

    @property
    def slices(self) -> int:
        return len(self.plan)

    @property
    def filled_lots(self) -> int:
        return int(self.filled_qty / self.qty_step)

    @property
    def in_flight(self) -> bool:
        return self.dispatched >= self.next_index

    def due_ns(self, index: int) -> int:
        return self.start_ns + self.offsets_ns[index]

    def pause(self, now_ns: int) -> TwapJob:
        if self.status is not JobStatus.RUNNING:
            raise JobTransitionError(f"job {self.job_id} is {self.status}: only a running job can be paused")
        return replace(self, status=JobStatus.PAUSED, paused_ns=now_ns)

    def resume(self, now_ns: int) -> TwapJob:
        """Resume a paused job: the schedule shifts by the time spent paused, so no slice counts as missed."""
        if self.status is not JobStatus.PAUSED or self.paused_ns is None:
            raise JobTransitionError(f"job {self.job_id} is {self.status}: only a paused job can be resumed")
        return replace(self, status=JobStatus.RUNNING, start_ns=self.start_ns + now_ns - self.paused_ns, paused_ns=None)

    def archive(self) -> TwapJob:
        if not self.status.is_final:
            raise JobTransitionError(f"job {self.job_id} is {self.status}: cancel it before archiving it")
        if self.archived:
            raise JobTransitionError(f"job {self.job_id} is archived already")
        return replace(self, archived=True)

    def cancel(self, now_ns: int) -> TwapJob:
        if self.status.is_final:
            raise JobTransitionError(f"job {self.job_id} is already {self.status}: nothing to cancel")
        return replace(self, status=JobStatus.CANCELLED, reason="cancelled by the user", end_ns=now_ns)


@dataclass(frozen=True, slots=True)
class SliceRecord:
    """One slice's order as recorded: written SENT before sending, DONE with its fills after."""

    job_id: JobId
    index: int
    attempt: int
    client_order_id: ClientOrderId | None
    status: SliceStatus
    target_qty: Decimal
    order_type: str
    price: Decimal | None
    tif: str
    ts_ns: int
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    market_price: Decimal | None = None
    note: str = ""
