"""The ordering service: runs one dispatched slice on the exchange, exactly once whatever restarts happen.

A slice attempt is recorded SENT (with its client order id) before its order leaves; a redelivered or
re-dispatched slice first reconciles that attempt with the exchange by client order id, so no slice
is sent twice and no fill is lost. The slice's outcome, fills and the job's progress are one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from tradewind.application.messages.twap import SLICE_DONE, SLICE_DUE, SliceDone
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import (
    ExchangeError,
    ExchangeGateway,
    ExchangeUnavailable,
    InstrumentsNotLoaded,
    OrderRejected,
    RateLimited,
)
from tradewind.application.ports.twap import TwapRepository
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.settings import TwapSettings
from tradewind.domain.ids import JobId
from tradewind.domain.instruments import FilterError, Instrument
from tradewind.domain.orders import OrderIntent, OrderResult
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.pricing import breaches_limit, execution_price, slice_order
from tradewind.domain.twap.report import FillRow
from tradewind.domain.twap.slicer import catch_up_cap_lots, slice_client_order_id, slice_target
from tradewind.domain.twap.spec import LimitPolicy
from tradewind.domain.values import OrderType, TimeInForce

_NS = 1_000_000_000
# How far the venue's clock may run behind ours when it stamps a slice's fills: they are read from this much before the
# attempt was recorded, so a venue listing a limited span (Bybit: 7 days) is read from the slice's time, not its own.
_VENUE_LAG_NS = 3_600 * _NS
_AVG = Decimal("1e-12")  # stored averages: exact enough, and within the database's 18 decimal places


class TwapOrdering:
    """Consumes ``twap.slice`` (a work queue: one consumer gets each slice) and publishes ``twap.event``."""

    def __init__(  # noqa: PLR0917 - the service's collaborators, all required
        self,
        repo: TwapRepository,
        gateways: Mapping[str, ExchangeGateway],
        bus: Bus,
        clock: Clock,
        journal: JobJournal,
        settings: TwapSettings,
    ) -> None:
        self._repo = repo
        self._gateways = gateways
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self._settings = settings
        self._sub: Subscription | None = None
        self._locks: dict[JobId, asyncio.Lock] = {}  # per job (kept): a slice redispatched while it runs waits for it
        self._waits: dict[int, int] = {}  # clock time each slice sleeping on the clock wakes at, by task id
        self.busy = 0  # slices being worked on and not asleep on the clock, for test drivers

    @property
    def wake_ns(self) -> int | None:
        """The earliest clock time a slice asleep on the clock (a resting order, an exchange not ready) wakes."""
        return min(self._waits.values(), default=None)

    async def start(self) -> None:
        self._sub = await self._bus.subscribe(
            SLICE_DUE.kind,
            self._on_slice,
            queue=self._settings.slice_queue,
            concurrency=self._settings.slice_concurrency,
        )

    async def close(self) -> None:
        if self._sub is not None:
            await self._sub.cancel()
            self._sub = None

    async def _on_slice(self, message: Message) -> None:
        due = SLICE_DUE.decode(message.payload)  # a malformed one is poison: dead-lettered at once
        lock = self._locks.setdefault(due.job_id, asyncio.Lock())
        try:
            async with lock:  # waiting here is not work: a test driver may move the clock meanwhile
                self.busy += 1
                try:
                    await self._execute_waiting(due.job_id, due.index)
                finally:
                    self.busy -= 1
        finally:
            await self._journal.flush()

    async def execute(self, job_id: JobId, index: int) -> None:
        """Run slice ``index`` of the job to its end; a no-op when it is already done or the job is not running."""
        job = await self._repo.get_job(job_id)
        if job is None or job.status is not JobStatus.RUNNING or job.next_index != index or not job.in_flight:
            return
        gateway = self._gateways[job.spec.exchange]
        instrument = gateway.instrument(job.spec.category, job.spec.symbol)
        attempts = await self._repo.slices(job_id, index)
        last = attempts[-1] if attempts else None
        if last is not None and last.status is SliceStatus.SENT:
            await self._journal.write(job_id, "twap.reconciling", index=index, client_order_id=last.client_order_id)
            job = await self._complete(job, last, gateway, instrument, resend=True)
            if job.next_index != index or job.status is not JobStatus.RUNNING:
                return
        attempt = 0 if last is None else last.attempt + 1
        is_last = index == job.slices - 1
        while job.next_index == index and job.status is JobStatus.RUNNING:
            if attempt > 0 and not is_last:
                job = await self._advance(job, index)  # a done slice's unfilled rest rolls into the next
                break
            job = await self._attempt(job, index, attempt, gateway, instrument)
            attempt += 1

    async def _execute_waiting(self, job_id: JobId, index: int) -> None:
        """``execute``, again after a pause whenever the exchange does not answer: a slice waits for its exchange
        (the pause doubling up to a bound) instead of burning its redeliveries. Safe to repeat: ``execute``
        reconciles an attempt already recorded SENT by its client order id before sending anything."""
        delay = self._settings.not_ready_backoff_s
        for tries in itertools.count():
            try:
                await self.execute(job_id, index)
                return
            except (ExchangeUnavailable, InstrumentsNotLoaded, RateLimited) as exc:
                if tries == 0:
                    await self._journal.write(job_id, "twap.exchange_waiting", "warning", index=index, reason=exc)
                    await self._journal.flush()
                not_loaded = isinstance(exc, InstrumentsNotLoaded)
            await self._sleep(delay)
            delay = min(delay * 2, self._settings.not_ready_backoff_max_s)
            if not_loaded:  # loaded here rather than at start-up's next retry, which may be a minute away
                with contextlib.suppress(ExchangeError):
                    job = await self._repo.get_job(job_id)
                    if job is not None:
                        await self._gateways[job.spec.exchange].load_instruments()

    async def _sleep(self, seconds: float) -> None:
        """Sleep on the clock, telling test drivers when this slice wakes."""
        key = id(asyncio.current_task())
        self._waits[key] = self._clock.now_ns() + round(seconds * _NS)
        self.busy -= 1
        try:
            await self._clock.sleep(seconds)
        finally:
            self.busy += 1
            self._waits.pop(key, None)

    async def _attempt(
        self, job: TwapJob, index: int, attempt: int, gateway: ExchangeGateway, instrument: Instrument
    ) -> TwapJob:
        spec = job.spec
        is_last = index == job.slices - 1
        # Capped: after downtime or short fills one order never carries more than a few slices' worth of the job.
        cap = catch_up_cap_lots(sum(job.plan), job.slices, self._settings.catch_up_max_slices)
        target = instrument.lots_to_qty(min(slice_target(job.plan, index, job.filled_lots), cap))
        ticker = await gateway.fetch_ticker(spec.category, spec.symbol)
        now = self._clock.now_ns()
        if ticker.bid is None or ticker.ask is None:
            return await self._skip(job, index, attempt, target, mid=None, why="no bid or ask to price the slice")
        touch = execution_price(spec.side, ticker.bid, ticker.ask)
        if job.arrival_price is None:
            job = replace(job, arrival_price=ticker.mid)
        if target <= 0:
            return await self._skip(job, index, attempt, target, mid=ticker.mid, why="nothing left to fill")
        if breaches_limit(spec.side, touch, spec.limit_price):
            return await self._limit_hit(job, index, attempt, target, touch=touch, mid=ticker.mid)
        if target < instrument.min_qty:
            why = f"{target} is below the instrument's minimum order {instrument.min_qty}"
            return await self._skip(job, index, attempt, target, mid=ticker.mid, why=why)
        order = slice_order(
            spec.order_style, spec.side, ticker.bid, ticker.ask, instrument,
            limit=spec.limit_price, max_slippage_bps=spec.max_slippage_bps, last_slice=is_last,
        )  # fmt: skip
        record = SliceRecord(
            job.job_id, index, attempt, slice_client_order_id(job.job_id, index, attempt, job.order_tag),
            SliceStatus.SENT, target, order.order_type.value, order.price, order.time_in_force.value, now,
            market_price=ticker.mid,
        )  # fmt: skip
        await self._repo.record_slice(record, job)
        return await self._complete(job, record, gateway, instrument, resend=False)

    async def _complete(
        self, job: TwapJob, record: SliceRecord, gateway: ExchangeGateway, instrument: Instrument, *, resend: bool
    ) -> TwapJob:
        """Send (or find) the attempt's order, wait for its end, store its fills and move the job on."""
        spec = job.spec
        assert record.client_order_id is not None
        result: OrderResult | None = None
        if resend:
            # Since the attempt was recorded: a job resumed after days finds its slice in Bybit's 7-day order history.
            result = await gateway.fetch_order(
                spec.category, spec.symbol, record.client_order_id, since_ns=record.ts_ns
            )
            await self._journal.write(
                job.job_id, "twap.reconciled", index=record.index, found=result is not None,
                filled=None if result is None else result.filled_qty,
            )  # fmt: skip
        if result is None:
            intent = OrderIntent(
                record.client_order_id, spec.exchange, spec.category, spec.symbol, spec.side,
                OrderType(record.order_type), record.target_qty, record.price, TimeInForce(record.tif),
            )  # fmt: skip
            try:
                result = await gateway.place_order(intent)
            except (OrderRejected, FilterError) as exc:
                await self._journal.write(job.job_id, "twap.order_rejected", "warning", index=record.index, reason=exc)
                done = replace(record, status=SliceStatus.DONE, note=f"rejected: {exc}")
                return await self._finish(job, done, [])
            await self._journal.write(
                job.job_id, "twap.slice_sent", index=record.index, attempt=record.attempt,
                client_order_id=record.client_order_id, qty=record.target_qty, price=record.price,
                order_type=record.order_type,
            )  # fmt: skip
        if not result.is_final:
            result = await self._wait_final(job, record, result, gateway)
        since_ns = max(record.ts_ns - _VENUE_LAG_NS, 0)
        fills = await gateway.fetch_fills(
            spec.category, spec.symbol, client_order_id=record.client_order_id, since_ns=since_ns
        )
        rows = [FillRow(record.index, f.ts_ns, f.qty, f.price, f.fee, f.trade_id) for f in fills]
        filled = sum((f.qty for f in rows), Decimal(0))
        if not rows and result.filled_qty > 0:  # an exchange without a fills endpoint: one aggregate row
            filled = result.filled_qty
            rows = [FillRow(record.index, self._clock.now_ns(), filled, result.avg_price or Decimal(0), result.fee)]
        avg = (sum((f.qty * f.price for f in rows), Decimal(0)) / filled).quantize(_AVG) if filled else None
        fee = sum((f.fee for f in rows), Decimal(0))
        if filled != result.filled_qty:
            # The order's own cumulative quantity is the truth; fills listed short (or twice) must not move the job.
            await self._journal.write(
                job.job_id, "twap.fills_disagree", "error", index=record.index, client_order_id=record.client_order_id,
                fills=filled, fill_count=len(rows), order_filled=result.filled_qty,
            )  # fmt: skip
            filled, avg, fee = result.filled_qty, result.avg_price, result.fee
        done = replace(
            record, status=SliceStatus.DONE, filled_qty=filled, avg_price=avg, fee=fee, note=result.state.value,
        )  # fmt: skip
        return await self._finish(job, done, rows)

    async def _wait_final(
        self, job: TwapJob, record: SliceRecord, result: OrderResult, gateway: ExchangeGateway
    ) -> OrderResult:
        """Poll a resting order until it ends or its time is up (before the next slice), then cancel it."""
        spec = job.spec
        assert record.client_order_id is not None
        if record.tif == TimeInForce.POST_ONLY.value and record.index + 1 < job.slices:
            deadline = job.due_ns(record.index + 1) - round(self._settings.passive_margin_s * _NS)
        else:
            deadline = record.ts_ns + round(self._settings.order_wait_s * _NS)
        while not result.is_final and self._clock.now_ns() < deadline:
            wake = min(deadline, self._clock.now_ns() + round(self._settings.order_poll_s * _NS))
            await self._sleep((wake - self._clock.now_ns()) / _NS)
            found = await gateway.fetch_order(spec.category, spec.symbol, record.client_order_id, since_ns=record.ts_ns)
            result = found or result
        if not result.is_final:
            result = await gateway.cancel_order(spec.category, spec.symbol, record.client_order_id)
            await self._journal.write(job.job_id, "twap.order_cancelled", index=record.index, filled=result.filled_qty)
        return result

    async def _finish(self, job: TwapJob, record: SliceRecord, rows: list[FillRow]) -> TwapJob:
        filled = job.filled_qty + record.filled_qty
        updated = replace(job, filled_qty=filled)
        is_last = record.index == job.slices - 1
        retry = (
            is_last
            and record.status is SliceStatus.DONE
            and filled < job.total_qty
            and record.attempt + 1 < self._settings.last_slice_attempts
        )
        if not retry:
            updated = self._advanced(updated, record.index)
        if record.status is SliceStatus.DONE:  # a skipped slice wrote twap.slice_skipped: nothing was filled
            await self._journal.write(
                job.job_id, "twap.slice_filled", index=record.index, attempt=record.attempt, filled=record.filled_qty,
                avg_price=record.avg_price, total_filled=filled, status=record.note,
            )  # fmt: skip
        await self._log_end(updated)
        await self._repo.finish_slice(record, rows, updated, self._journal.take(updated.job_id))
        await self._after(updated, record.index)
        return updated

    async def _advance(self, job: TwapJob, index: int) -> TwapJob:
        updated = self._advanced(job, index)
        await self._log_end(updated)
        await self._repo.save_job(updated, self._journal.take(updated.job_id))
        await self._after(updated, index)
        return updated

    async def _log_end(self, job: TwapJob) -> None:
        if job.status is JobStatus.COMPLETED:
            await self._journal.write(job.job_id, "twap.completed", filled=job.filled_qty, total=job.total_qty)

    def _advanced(self, job: TwapJob, index: int) -> TwapJob:
        if index + 1 < job.slices:
            return replace(job, next_index=index + 1, dispatched=index)
        reason = "" if job.filled_qty == job.total_qty else f"ended with {job.total_qty - job.filled_qty} unfilled"
        return replace(
            job, next_index=index + 1, dispatched=index, status=JobStatus.COMPLETED, reason=reason,
            end_ns=self._clock.now_ns(),
        )  # fmt: skip

    async def _after(self, job: TwapJob, index: int) -> None:
        done = SliceDone(job.job_id, index, job.status, job.filled_qty, job.total_qty)
        await self._bus.publish(SLICE_DONE.kind, SLICE_DONE.encode(done))

    async def _skip(
        self, job: TwapJob, index: int, attempt: int, target: Decimal, *, mid: Decimal | None, why: str
    ) -> TwapJob:
        record = SliceRecord(
            job.job_id, index, attempt, None, SliceStatus.SKIPPED, target, "none", None, "", self._clock.now_ns(),
            market_price=mid, note=why,
        )  # fmt: skip
        await self._journal.write(job.job_id, "twap.slice_skipped", index=index, reason=why, qty=target)
        return await self._finish(job, record, [])

    async def _limit_hit(
        self, job: TwapJob, index: int, attempt: int, target: Decimal, *, touch: Decimal, mid: Decimal | None
    ) -> TwapJob:
        spec = job.spec
        why = f"price {touch} is beyond the limit {spec.limit_price}"
        await self._journal.write(
            job.job_id, "twap.limit_hit", "warning", index=index, price=touch, limit=spec.limit_price,
            policy=spec.limit_policy.value,
        )  # fmt: skip
        if spec.limit_policy is LimitPolicy.SKIP:
            return await self._skip(job, index, attempt, target, mid=mid, why=why)
        record = SliceRecord(
            job.job_id, index, attempt, None, SliceStatus.SKIPPED, target, "none", None, "", self._clock.now_ns(),
            market_price=mid, note=why,
        )  # fmt: skip
        stopped = replace(job, status=JobStatus.STOPPED, reason=why, dispatched=index - 1, end_ns=self._clock.now_ns())
        await self._journal.write(job.job_id, "twap.stopped", reason=why, filled=job.filled_qty)
        await self._repo.finish_slice(record, [], stopped, self._journal.take(stopped.job_id))
        await self._after(stopped, index)
        return stopped
