"""TWAP control: create, pause, resume, cancel (and the reader's list, show, report); front ends reach it through
CommandService."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from tradewind.application.messages.twap import JOB_COMMAND, JobCommand
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeGateway, InstrumentsNotLoaded, UnknownInstrument
from tradewind.application.ports.repositories import MarketDataRepository
from tradewind.application.ports.twap import Doorbell, TwapRepository
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.reader import JobNotFound, JobView, TwapReader
from tradewind.domain.ids import JobId
from tradewind.domain.instruments import Instrument
from tradewind.domain.twap.job import JobTransitionError, TwapJob
from tradewind.domain.twap.report import ExecutionReport
from tradewind.domain.twap.slicer import (
    ORDER_TAG_ALPHABET,
    ORDER_TAG_LEN,
    parse_client_order_id,
    plan_lots,
    slice_client_order_id,
    slice_offsets_ns,
)
from tradewind.domain.twap.spec import TwapSpec, TwapSpecError, funds_needed, twap_job_id, validate
from tradewind.domain.values import Category

__all__ = ["JobNotFound", "JobTransitionError", "JobView", "TwapService", "TwapSpecError"]


_KNOWN_FOR_NS = 7 * 86_400 * 1_000_000_000  # how far back fills are searched for a job id (Bybit lists 7 days)


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
        doorbell: Doorbell | None = None,
    ) -> None:
        self._repo = repo
        self._gateways = gateways
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self._doorbell = doorbell
        self._reader = TwapReader(repo, clock, journal, market_data)

    async def create(self, spec: TwapSpec, job_id: str | None = None) -> TwapJob:
        """Check the spec against the exchange's instrument and price, store the job, and start it."""
        job = await self.prepare(spec, job_id)
        await self._repo.add_job(job)
        spec = job.spec
        await self._journal.write(
            job.job_id, "twap.created", side=spec.side.value, symbol=spec.symbol, total=job.total_qty,
            slices=spec.slices, runtime_s=spec.runtime_s, limit=spec.limit_price, limit_policy=spec.limit_policy.value,
        )  # fmt: skip
        await self._notify("create", job.job_id)
        return job

    async def prepare(self, spec: TwapSpec, job_id: str | None = None) -> TwapJob:
        """The job ``create`` would store, checked against the exchange's instrument, price and balance; stores
        nothing and tells no one (``--dry``)."""
        gateway = self._gateways.get(spec.exchange)
        if gateway is None:
            known = ", ".join(sorted(self._gateways)) or "none"
            raise TwapSpecError(f"unknown exchange {spec.exchange!r}: use one of {known}")
        try:
            instrument = gateway.instrument(spec.category, spec.symbol)
        except InstrumentsNotLoaded:
            raise  # the exchange has not answered yet: not the input's fault
        except UnknownInstrument:
            raise TwapSpecError(
                f"unknown symbol {spec.symbol!r} ({spec.category.value}) on {spec.exchange}: check the symbol "
                "and the category (spot or linear)"
            ) from None
        ticker = await gateway.fetch_ticker(spec.category, spec.symbol)
        price = ticker.mid or ticker.last
        total = validate(spec, instrument, price)
        if spec.notional is not None:
            spec = replace(spec, quantity=total, notional=None)  # sized once, at the arrival price
        if price is not None and not spec.allow_insufficient:
            await self._check_funds(gateway, spec, instrument, total, price)
        if job_id is not None:
            ident = twap_job_id(job_id)
            await self._refuse_known_id(gateway, spec, ident)
        else:
            ident = JobId(secrets.token_hex(6))
        total_lots = instrument.qty_to_lots(total)
        min_lots = instrument.qty_to_lots(instrument.floor_qty(instrument.min_qty)) if instrument.min_qty else 0
        now = self._clock.now_ns()
        job = TwapJob(
            job_id=ident,
            spec=spec,
            total_qty=total,
            qty_step=instrument.qty_step,
            tick_size=instrument.tick_size,
            plan=tuple(plan_lots(total_lots, spec.slices, jitter=spec.size_jitter, min_lots=min_lots, seed=spec.seed)),
            offsets_ns=tuple(slice_offsets_ns(spec.slices, spec.interval_ns, jitter=spec.time_jitter, seed=spec.seed)),
            start_ns=now,
            created_ns=now,
            order_tag="".join(secrets.choice(ORDER_TAG_ALPHABET) for _ in range(ORDER_TAG_LEN)),
        )
        return job

    async def _check_funds(
        self, gateway: ExchangeGateway, spec: TwapSpec, instrument: Instrument, total: Decimal, price: Decimal
    ) -> None:
        coin, need = funds_needed(spec, instrument, total, price)
        balance = (await gateway.fetch_balances()).get(coin)
        free = balance.free if balance is not None else Decimal(0)
        if free < need:
            what = "margin for" if spec.category is Category.LINEAR else "for"
            raise TwapSpecError(
                f"the account has {free.normalize():f} {coin} free, {what} the whole job it needs about "
                f"{need.quantize(instrument.qty_step if coin == instrument.base else Decimal('0.01')).normalize():f} "
                f"{coin}: reduce the size, fund the account, or start anyway with allow_insufficient "
                "(--allow-insufficient)"
            )

    async def _refuse_known_id(self, gateway: ExchangeGateway, spec: TwapSpec, ident: JobId) -> None:
        """Refuse a job id the account's orders already carry (a job of another database, or before tags)."""
        if await self._repo.get_job(ident) is not None:
            return  # the store refuses it with its own message
        found = await gateway.fetch_order(spec.category, spec.symbol, slice_client_order_id(ident, 0, 0))
        ids = [o.client_order_id for o in await gateway.fetch_open_orders(spec.category, spec.symbol)]
        since = self._clock.now_ns() - _KNOWN_FOR_NS
        fills = await gateway.fetch_fills(spec.category, spec.symbol, since_ns=since if since > 0 else None)
        ids += [f.client_order_id for f in fills]
        if found is not None or any((parsed := parse_client_order_id(c)) and parsed[0] == ident for c in ids):
            raise TwapSpecError(
                f"job id {ident!r} is already on orders of this {spec.exchange} account (an earlier job, perhaps of "
                "another database): choose another id, or leave it out for a random one"
            )

    async def get(self, job_id: str) -> TwapJob:
        return await self._reader.get(job_id)

    async def list(self, *, archived: bool = False) -> list[TwapJob]:
        """Every job; the archived ones only when ``archived``."""
        return await self._reader.list(archived=archived)

    async def archive(self, job_id: str) -> TwapJob:
        """Hide an ended job from lists; its slices, fills and log stay in the database."""
        current = await self.get(job_id)
        job = current.archive()
        if not await self._repo.archive(job.job_id):
            raise JobTransitionError(f"job {job.job_id} changed state meanwhile: look at it again and retry")
        await self._journal.write(job.job_id, "twap.archived")
        await self._journal.flush()
        return job

    async def show(self, job_id: str) -> JobView:
        return await self._reader.show(job_id)

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
        if self._doorbell is not None:
            self._doorbell.ring()  # a scheduler in another process, which this bus may not reach

    async def report(self, job_id: str) -> ExecutionReport:
        """Fills against the market's TWAP over the job's window (stored mids, else the prices seen per slice)."""
        return await self._reader.report(job_id)
