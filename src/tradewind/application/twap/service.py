"""TWAP control: create, list, show, pause, resume, cancel and report; front ends reach it through CommandService."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from tradewind.application.messages.twap import JOB_COMMAND, JobCommand
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway, UnknownInstrument
from tradewind.application.ports.repositories import LogRecord, MarketDataRepository
from tradewind.application.ports.twap import TwapRepository
from tradewind.application.twap.journal import JobJournal
from tradewind.domain.ids import JobId
from tradewind.domain.market import InstrumentRef
from tradewind.domain.twap.job import JobTransitionError, SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.report import ExecutionReport, FillRow, PricePoint, SliceRow, build_report
from tradewind.domain.twap.slicer import plan_lots, slice_offsets_ns
from tradewind.domain.twap.spec import TwapSpec, TwapSpecError, twap_job_id, validate

__all__ = ["JobNotFound", "JobTransitionError", "JobView", "TwapService", "TwapSpecError"]


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


class TwapService:
    """Validates and stores jobs, and tells the scheduler over ``twap.command`` when one changes."""

    def __init__(  # noqa: PLR0917 - the service's collaborators, all required
        self,
        repo: TwapRepository,
        gateways: Mapping[str, ExchangeGateway],
        bus: Bus,
        clock: Clock,
        journal: JobJournal,
        market_data: MarketDataRepository | None = None,
    ) -> None:
        self._repo = repo
        self._gateways = gateways
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self._market = market_data

    async def create(self, spec: TwapSpec, job_id: str | None = None) -> TwapJob:
        """Check the spec against the exchange's instrument and price, store the job, and start it."""
        gateway = self._gateways.get(spec.exchange)
        if gateway is None:
            known = ", ".join(sorted(self._gateways)) or "none"
            raise TwapSpecError(f"unknown exchange {spec.exchange!r}: use one of {known}")
        try:
            instrument = gateway.instrument(spec.category, spec.symbol)
        except UnknownInstrument:
            raise TwapSpecError(
                f"unknown symbol {spec.symbol!r} ({spec.category.value}) on {spec.exchange}: check the symbol "
                "and the category (spot or linear)"
            ) from None
        ticker = await gateway.fetch_ticker(spec.category, spec.symbol)
        total = validate(spec, instrument, ticker.mid or ticker.last)
        if spec.notional is not None:
            spec = replace(spec, quantity=total, notional=None)  # sized once, at the arrival price
        ident = twap_job_id(job_id) if job_id is not None else JobId(secrets.token_hex(6))
        total_lots = instrument.qty_to_lots(total)
        min_lots = instrument.qty_to_lots(instrument.floor_qty(instrument.min_qty)) if instrument.min_qty else 0
        now = self._clock.now_ns()
        job = TwapJob(
            job_id=ident,
            spec=spec,
            total_qty=total,
            qty_step=instrument.qty_step,
            plan=tuple(plan_lots(total_lots, spec.slices, jitter=spec.size_jitter, min_lots=min_lots, seed=spec.seed)),
            offsets_ns=tuple(slice_offsets_ns(spec.slices, spec.interval_ns, jitter=spec.time_jitter, seed=spec.seed)),
            start_ns=now,
            created_ns=now,
        )
        await self._repo.add_job(job)
        await self._journal.write(
            ident, "twap.created", side=spec.side.value, symbol=spec.symbol, total=total, slices=spec.slices,
            runtime_s=spec.runtime_s, limit=spec.limit_price, limit_policy=spec.limit_policy.value,
        )  # fmt: skip
        await self._notify("create", ident)
        return job

    async def get(self, job_id: str) -> TwapJob:
        job = await self._repo.get_job(JobId(job_id))
        if job is None:
            raise JobNotFound(f"no TWAP job {job_id!r}: `tradewind twap list` shows the jobs")
        return job

    async def list(self) -> list[TwapJob]:
        return await self._repo.list_jobs()

    async def show(self, job_id: str) -> JobView:
        job = await self.get(job_id)
        slices = await self._repo.slices(job.job_id)
        fills = await self._repo.fills(job.job_id)
        return JobView(job, tuple(slices), tuple(fills), tuple(await self._journal.read(job.job_id)))

    async def pause(self, job_id: str) -> TwapJob:
        current = await self.get(job_id)
        return await self._transition(current, current.pause(self._clock.now_ns()), "pause")

    async def resume(self, job_id: str) -> TwapJob:
        current = await self.get(job_id)
        return await self._transition(current, current.resume(self._clock.now_ns()), "resume")

    async def cancel(self, job_id: str) -> TwapJob:
        current = await self.get(job_id)
        return await self._transition(current, current.cancel(self._clock.now_ns()), "cancel")

    async def _transition(self, current: TwapJob, job: TwapJob, action: str) -> TwapJob:
        if not await self._repo.set_control(job, current.status):
            raise JobTransitionError(f"job {job.job_id} changed state meanwhile: look at it again and retry")
        await self._journal.write(job.job_id, f"twap.{action}d" if action != "cancel" else "twap.cancelled")
        await self._notify(action, job.job_id)
        return job

    async def _notify(self, action: str, job_id: str) -> None:
        await self._journal.flush()
        await self._bus.publish(JOB_COMMAND.kind, JOB_COMMAND.encode(JobCommand(action, job_id)))

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
