"""TWAP's read side: list, show and report jobs from the store alone (no bus, gateway or doorbell)."""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.application.ports.clock import Clock
from tradewind.application.ports.repositories import LogRecord, MidHistory
from tradewind.application.ports.twap import TwapJobReads
from tradewind.application.twap.journal import JobJournal
from tradewind.domain.ids import JobId
from tradewind.domain.market import InstrumentRef
from tradewind.domain.twap.job import SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.report import ExecutionReport, FillRow, PricePoint, SliceRow, build_report


class JobNotFound(KeyError):
    """No TWAP job has that id."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class JobView:
    """A job with its slices, fills and decision log, as ``show`` renders it."""

    job: TwapJob
    slices: tuple[SliceRecord, ...]
    fills: tuple[FillRow, ...]
    log: tuple[LogRecord, ...]


class TwapReader:
    """Reads jobs for ``TwapService`` and, bare, for the reading ``twap`` verbs of the command line."""

    def __init__(
        self, repo: TwapJobReads, clock: Clock, journal: JobJournal, market_data: MidHistory | None = None
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._journal = journal
        self._market = market_data

    async def get(self, job_id: str) -> TwapJob:
        job = await self._repo.get_job(JobId(job_id))
        if job is None:
            raise JobNotFound(f"no TWAP job {job_id!r}: `tradewind twap list` shows the jobs")
        return job

    async def list(self, *, archived: bool = False) -> list[TwapJob]:
        """Every job; the archived ones only when ``archived``."""
        return await self._repo.list_jobs(archived=archived)

    async def show(self, job_id: str) -> JobView:
        job = await self.get(job_id)
        slices = await self._repo.slices(job.job_id)
        fills = await self._repo.fills(job.job_id)
        return JobView(job, tuple(slices), tuple(fills), tuple(await self._journal.read(job.job_id)))

    async def report(self, job_id: str) -> ExecutionReport:
        """Fills against the market's TWAP over the job's window (stored mids, else the prices seen per slice)."""
        view = await self.show(job_id)
        job = view.job
        end = job.end_ns or self._clock.now_ns()
        market: list[PricePoint] = []
        if self._market is not None:
            ref = InstrumentRef(job.spec.exchange, job.spec.category, job.spec.symbol)
            market = [PricePoint(m.ts_ns, m.mid) for m in await self._market.mids(ref, None, end)]
        if not market:
            market = [PricePoint(s.ts_ns, s.market_price) for s in view.slices if s.market_price is not None]
        window_end = max(end, job.start_ns + 1)
        return build_report(
            job.spec.side, view.fills, _slice_rows(view.slices), market,
            window=(job.start_ns, window_end), arrival_price=job.arrival_price,
        )  # fmt: skip


def _slice_rows(records: tuple[SliceRecord, ...]) -> list[SliceRow]:
    rows: dict[int, SliceRow] = {}
    for r in records:
        prev = rows.get(r.index)
        filled = r.filled_qty + (prev.filled_qty if prev else 0)
        fee = r.fee + (prev.fee if prev else 0)
        notional = r.filled_qty * (r.avg_price or 0) + (prev.filled_qty * (prev.avg_price or 0) if prev else 0)
        status = r.status.value if prev is None or r.status is not SliceStatus.SKIPPED else prev.status
        rows[r.index] = SliceRow(
            r.index, status, prev.target_qty if prev else r.target_qty, filled, notional / filled if filled else None,
            fee,
        )  # fmt: skip
    return [rows[i] for i in sorted(rows)]
