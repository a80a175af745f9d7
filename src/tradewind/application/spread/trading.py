"""TradingEngine: the authority on spread exposure and PnL; answers every spread order with ACK or NACK.

It refuses a repeated request id and what would break an exposure limit, then trades both legs (``simulated``:
filled at the quoted prices, no exchange order; ``real``: through the gateways, first leg at a limit IOC, second at
market, the first unwound at market if the second fails), updates exposure and PnL, and writes the spread, the
request and both legs in one transaction. While the database is down it keeps answering and buffers its writes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

import structlog

from tradewind.application.held_acks import HeldAcks
from tradewind.application.lifecycle import sleep_unless_stopped
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway, FundingHistory, FundingUnsupported
from tradewind.application.ports.repositories import StoreUnavailable
from tradewind.application.ports.spread import FundingWrite, SpreadRepository, SpreadWrite
from tradewind.application.spread.settings import SpreadSettings
from tradewind.domain.ids import client_order_id
from tradewind.domain.instruments import FilterError
from tradewind.domain.market import InstrumentRef
from tradewind.domain.orders import OrderIntent, OrderResult, net_size
from tradewind.domain.spread.exposure import Exposure, LegChange, LegKey
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.opportunity import BPS
from tradewind.domain.spread.orders import (
    ExposureRow,
    FundingPayment,
    FundingSettlement,
    LegOutcome,
    LegStatus,
    SpreadAction,
    SpreadBook,
    SpreadOrder,
    SpreadQuery,
    SpreadReply,
    Verdict,
)
from tradewind.domain.spread.position import (
    Spread,
    SpreadState,
    add_entry,
    add_exit,
    add_funding,
    held,
    opening,
    qty_at,
    shares,
)
from tradewind.domain.values import Category, OrderType, Side, TimeInForce
from tradewind.domain.venue_accounts.perp import funding_payment

log = structlog.get_logger(__name__)
DUPLICATE = "duplicate request id"
_REPLIES_KEPT = 20_000  # answers remembered in memory for duplicate checks


def leg_key(ref: InstrumentRef) -> LegKey:
    return (ref.exchange, ref.category, ref.symbol)


def order_ids(request_id: str) -> tuple[str, str, str]:
    """Client order ids of the long leg, the short leg and an unwind: derived, so a retry finds what was sent."""
    stem = "".join(c for c in request_id if c.isalnum() or c in "-_")[:30]
    return client_order_id(f"sp{stem}L"), client_order_id(f"sp{stem}S"), client_order_id(f"sp{stem}U")


@dataclass(slots=True)
class TradingStats:
    acks: int = 0
    nacks: int = 0
    duplicates: int = 0
    unwinds: int = 0
    write_failures: int = 0
    funding_applied: int = 0
    funding_seen: set[str] = field(default_factory=set)


class TradingEngine:
    """Serialises requests (exposure is checked and changed one request at a time)."""

    def __init__(
        self,
        repository: SpreadRepository,
        clock: Clock,
        settings: SpreadSettings,
        gateways: Mapping[str, ExchangeGateway] | None = None,
    ) -> None:
        if settings.mode == "real" and not gateways:
            raise ValueError("spread mode real needs exchange gateways")
        self._repo = repository
        self._clock = clock
        self._settings = settings
        self._gateways = dict(gateways or {})
        self._lock = asyncio.Lock()
        self._replies: dict[str, SpreadReply] = {}
        self.spreads: dict[str, Spread] = {}
        self.closed: dict[str, Spread] = {}  # closed within ``funding_late_s``: still owed funding seen late
        self._history: dict[str, list[tuple[int, Decimal]]] = {}  # spread id: (time, quantity after), oldest first
        self.exposure = Exposure()
        self.stats = TradingStats()
        self._pending: list[SpreadWrite | FundingWrite] = []
        self._funding_since_ns: int | None = None  # settlement time of the newest payment counted
        self._funding_unsupported: set[str] = set()  # exchanges whose gateway cannot list funding (logged once)
        self._flushing = asyncio.Lock()
        self._held = HeldAcks()  # a settlement's handler returns (its message is acked) once its write is stored
        self.mismatches: list[str] = []  # real mode: legs the venue does not hold as the open spreads say
        self._stopped = asyncio.Event()

    @property
    def mode(self) -> str:
        return self._settings.mode

    @property
    def buffered_writes(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        """Reload the open spreads (their exposure) and the answers already given; reconcile legs in real mode."""
        try:
            stored = await self._repo.load(closed_since_ns=self._late_horizon_ns())
        except StoreUnavailable as exc:
            raise ConnectionError(f"spread store unavailable at start: {exc}") from exc
        self._replies.update(stored.replies)
        self.stats.funding_seen.update(stored.funding_ids)
        self._funding_since_ns = stored.funding_since_ns
        for spread in stored.open:
            self.spreads[spread.spread_id] = spread
            self.exposure.apply(_changes(spread.pair, spread.qty, spread.long_entry, spread.short_entry, opening=True))
        for spread in sorted(stored.closed, key=lambda s: s.closed_ns or 0):
            self._keep(spread)
        for trade in stored.trades:
            filled = _both_filled(trade.reply.legs)
            if filled is not None:
                self._record_qty(trade.spread_id, trade.action, filled[0], trade.ts_ns)
        log.info("spread.trading_started", mode=self.mode, open=len(stored.open), answered=len(stored.replies))
        if self.mode == "real" and self.spreads:
            await self._reconcile_positions()
        if self.mode == "real" and (self.spreads or self.closed):
            await self.poll_funding()  # what settled while the engine was down
        for order in stored.pending:  # begun before a crash: its legs are found by client id, completed or unwound
            if self.mode == "real":
                reply = await self.handle(order)
                log.warning("spread.intent_resumed", request_id=order.request_id, verdict=reply.verdict.value)

    async def _reconcile_positions(self) -> None:
        """The venue's derivative positions must cover what the open spreads hold there; a shortfall is logged and
        kept in ``mismatches`` (the component's health) for an operator: nothing is traded blindly at start."""
        for key, qty in self.exposure.positions.items():
            exchange, category, symbol = key
            if category is Category.SPOT:
                continue  # spot holdings are wallet balances, shared with everything else the account does
            try:
                gateway = self._gateway(InstrumentRef(exchange, category, symbol))
                positions = await gateway.fetch_positions(category)
            except ExchangeError as exc:
                self.mismatches.append(f"{exchange} {category.value} {symbol}: cannot ask the venue ({exc})")
                continue
            held = net_size(positions, symbol)
            if held * qty < 0 or abs(held) < abs(qty):
                problem = f"{exchange} {category.value} {symbol}: open spreads hold {qty}, the venue {held}"
                self.mismatches.append(problem)
                log.error("spread.reconcile_mismatch", problem=problem)

    async def run(self) -> None:
        """Retries buffered writes on the clock while the database is down; in real mode reads the venue's funding
        every ``funding_poll_s``."""
        poll_ns = int(self._settings.funding_poll_s * 1_000_000_000)
        next_poll = self._clock.now_ns() + poll_ns
        while await sleep_unless_stopped(self._clock, self._settings.flush_interval_s, self._stopped):
            await self.flush()
            if self.mode == "real" and self._clock.now_ns() >= next_poll:
                next_poll = self._clock.now_ns() + poll_ns
                await self.poll_funding()

    async def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(Exception):
            await self.flush()
        if self._pending:
            log.error("spread.writes_lost_at_stop", count=len(self._pending))

    async def handle(self, order: SpreadOrder) -> SpreadReply:
        async with self._lock:
            reply = await self._handle(order)
        if reply.duplicate_of is None:
            self._replies[order.request_id] = reply
            if len(self._replies) > _REPLIES_KEPT:  # the oldest half goes: retries come within seconds
                for old in list(self._replies)[: _REPLIES_KEPT // 2]:
                    del self._replies[old]
        await self.flush()
        return reply

    def refuse_malformed(self, error: Exception) -> SpreadReply:
        self.stats.nacks += 1
        return SpreadReply("", Verdict.NACK, f"malformed request: {error}")

    async def _handle(self, order: SpreadOrder) -> SpreadReply:
        earlier = self._replies.get(order.request_id)
        if earlier is not None:
            self.stats.duplicates += 1
            self.stats.nacks += 1
            return replace(earlier, verdict=Verdict.NACK, reason=DUPLICATE, duplicate_of=earlier.verdict)
        now = self._clock.now_ns()
        spread = self.spreads.get(order.spread_id)
        refusal = self._refusal(order, spread)
        if refusal is not None:
            self.stats.nacks += 1
            log.info("spread.nack", request_id=order.request_id, reason=refusal)
            return SpreadReply(order.request_id, Verdict.NACK, refusal)
        if self.mode == "simulated":
            legs = self._simulated_legs(order)
        else:
            await self._save_intent(order)
            legs = await self._real_legs(order)
        filled = _both_filled(legs)
        if filled is None:
            reply = SpreadReply(order.request_id, Verdict.NACK, _failure(legs), legs)
            self.stats.nacks += 1
            if any(leg.status is LegStatus.UNWOUND for leg in legs):
                self.stats.unwinds += 1
            log.warning("spread.nack", request_id=order.request_id, reason=reply.reason, legs=len(legs))
            if legs:  # what did trade (and its unwind) is recorded, with its cost
                self._record_failure(order, spread, legs, reply, now)
            return reply
        qty, long_price, short_price, fee = filled
        base = spread if spread is not None else opening(order.spread_id, order.pair, now)
        if order.action is SpreadAction.OPEN:
            updated = add_entry(base, qty, long_price, short_price, fee=fee, now_ns=now)
        else:
            updated = add_exit(base, qty, long_price, short_price, fee=fee, now_ns=now)
        self.exposure.apply(
            _changes(order.pair, qty, long_price, short_price, opening=order.action is SpreadAction.OPEN)
        )
        self._record_qty(updated.spread_id, order.action, qty, now)
        self._keep(updated)
        reply = SpreadReply(order.request_id, Verdict.ACK, "", legs)
        self._queue(SpreadWrite(updated, reply, order.action, now))
        self.stats.acks += 1
        log.info(
            "spread.ack", request_id=order.request_id, spread_id=updated.spread_id, action=order.action.value,
            qty=str(qty), state=updated.state.value,
        )  # fmt: skip
        return reply

    def _record_failure(
        self, order: SpreadOrder, spread: Spread | None, legs: tuple[LegOutcome, ...], reply: SpreadReply, now: int
    ) -> None:
        """A leg that filled and was unwound costs its price difference and fees: booked on the spread."""
        first = legs[0]
        gained = Decimal(0)
        if first.unwind_price is not None and first.price is not None:
            gained = first.side.sign * (first.unwind_price - first.price) * first.unwound_qty
        fees = sum((leg.fee for leg in legs), Decimal(0))
        if spread is None:
            spread = replace(opening(order.spread_id, order.pair, now), state=SpreadState.CLOSED, closed_ns=now)
        spread = replace(spread, realised=spread.realised + gained, fees=spread.fees + fees, updated_ns=now)
        self._keep(spread)
        self._queue(SpreadWrite(spread, reply, order.action, now))

    def _keep(self, spread: Spread) -> None:
        """In ``spreads`` while not closed, then in ``closed`` (funding settled while it was open may come late)."""
        if spread.state is not SpreadState.CLOSED:
            self.spreads[spread.spread_id] = spread
            self.closed.pop(spread.spread_id, None)  # an id opened again: its old position is overwritten in the store
            return
        self.spreads.pop(spread.spread_id, None)
        derivative = any(ref.category is not Category.SPOT for ref in (spread.pair.long, spread.pair.short))
        if spread.traded_qty and derivative:  # else no funding is owed: it never held a perpetual
            self.closed[spread.spread_id] = spread
            self._forget_closed()

    def _record_qty(self, spread_id: str, action: SpreadAction, qty: Decimal, ts_ns: int) -> None:
        """The spread's quantity after an acknowledged trade: what a later-seen settlement shares by."""
        history = self._history.setdefault(spread_id, [])
        before = history[-1][1] if history else Decimal(0)
        history.append((ts_ns, before + qty if action is SpreadAction.OPEN else before - qty))

    def _late_horizon_ns(self) -> int:
        return self._clock.now_ns() - int(self._settings.funding_late_s * 1_000_000_000)

    def _forget_closed(self) -> None:
        """Closed spreads past ``funding_late_s`` get no more funding: dropped from memory with their history
        (``closed`` is in the order they closed, so the oldest are first)."""
        horizon = self._late_horizon_ns()
        while self.closed:
            spread_id, spread = next(iter(self.closed.items()))
            if spread.closed_ns is not None and spread.closed_ns >= horizon:
                return
            del self.closed[spread_id]
            self._history.pop(spread_id, None)

    def _refusal(self, order: SpreadOrder, spread: Spread | None) -> str | None:
        if order.action is SpreadAction.OPEN:
            if spread is not None and spread.pair != order.pair:
                return f"spread {order.spread_id} is of another pair"
            changes = _changes(order.pair, order.qty, order.long_price, order.short_price, opening=True)
            return self.exposure.refusal(changes, self._settings.limits())
        if spread is None:
            return f"no open spread {order.spread_id}"
        if order.qty > spread.qty:
            return f"close of {order.qty} is more than the open {spread.qty}"
        return None

    async def _save_intent(self, order: SpreadOrder) -> None:
        """Before the first leg: so a restart after a crash between the legs finds the order and finishes it."""
        try:
            await self._repo.save_intent(order)
        except StoreUnavailable as exc:  # traded anyway: the signal engine's retry is then the only way back
            log.warning("spread.intent_not_saved", request_id=order.request_id, error=str(exc))

    def _simulated_legs(self, order: SpreadOrder) -> tuple[LegOutcome, ...]:
        out = []
        for ref, price in ((order.pair.long, order.long_price), (order.pair.short, order.short_price)):
            fee = order.qty * price * self._settings.fee_bps(ref.category) / BPS
            out.append(
                LegOutcome(
                    ref.exchange, ref.category, ref.symbol, order.side(ref), order.qty, order.qty, price, fee,
                    LegStatus.SIMULATED,
                )
            )  # fmt: skip
        return tuple(out)

    def _gateway(self, ref: InstrumentRef) -> ExchangeGateway:
        name = self._settings.exchange or ref.exchange
        gateway = self._gateways.get(name)
        if gateway is None:
            raise ExchangeError(f"no gateway {name!r} for {ref.symbol}")
        return gateway

    async def _real_legs(self, order: SpreadOrder) -> tuple[LegOutcome, ...]:
        """First leg limit IOC at its quoted price, the second at market for what the first filled; the first
        unwound at market when the second fails. Client ids come from the request id: a retry finds the orders."""
        long_id, short_id, unwind_id = order_ids(order.request_id)
        first_ref, second_ref = order.pair.long, order.pair.short
        first_price = order.long_price
        first = await self._leg(order, first_ref, long_id, order.qty, first_price)
        if first.filled_qty <= 0:
            return (first,)
        log.info("spread.first_leg_filled", request_id=order.request_id, qty=str(first.filled_qty), symbol=first.symbol)
        second = await self._leg(order, second_ref, short_id, first.filled_qty, None)
        missing = first.filled_qty - second.filled_qty
        if missing > 0:
            first = await self._unwind(order, first_ref, first, missing, unwind_id)
        return first, second

    async def _leg(
        self, order: SpreadOrder, ref: InstrumentRef, coid: str, qty: Decimal, price: Decimal | None
    ) -> LegOutcome:
        side = order.side(ref)
        empty = LegOutcome(ref.exchange, ref.category, ref.symbol, side, qty, Decimal(0), None, Decimal(0),
                           LegStatus.FAILED, coid)  # fmt: skip
        try:
            gateway = self._gateway(ref)
            # A retry (a redelivered request) may find the order placed the first time: looked up from the request's
            # time, as an exchange keeps its order history in windows (Bybit: 7 days per request).
            result = await gateway.fetch_order(ref.category, ref.symbol, coid, since_ns=order.ts_ns)
            if result is None:
                kind = OrderType.MARKET if price is None else OrderType.LIMIT
                tif = TimeInForce.IOC
                reduce = ref.category is not Category.SPOT and order.action is SpreadAction.CLOSE
                intent = OrderIntent(coid, gateway.name, ref.category, ref.symbol, side, kind, qty, price, tif, reduce)
                result = await gateway.place_order(intent)
                if not result.is_final:
                    result = await self._settled(gateway, ref, coid, result)
        except (ExchangeError, FilterError) as exc:
            log.warning("spread.leg_failed", client_order_id=coid, symbol=ref.symbol, error=str(exc))
            return replace(empty, detail=str(exc))
        return _outcome(empty, result)

    async def _settled(
        self, gateway: ExchangeGateway, ref: InstrumentRef, coid: str, result: OrderResult
    ) -> OrderResult:
        """An IOC / market order's final state (a venue may answer before matching): asked a few times."""
        for _ in range(20):
            await self._clock.sleep(0.05)
            latest = await gateway.fetch_order(ref.category, ref.symbol, coid)
            if latest is not None:
                result = latest
                if result.is_final:
                    break
        return result

    async def _unwind(
        self, order: SpreadOrder, ref: InstrumentRef, leg: LegOutcome, qty: Decimal, coid: str
    ) -> LegOutcome:
        """Trade ``qty`` of a filled leg back at market, so no naked leg is left."""
        back = replace(order, action=SpreadAction.CLOSE if order.action is SpreadAction.OPEN else SpreadAction.OPEN)
        undone = await self._leg(back, ref, coid, qty, None)
        log.warning(
            "spread.unwound", request_id=order.request_id, symbol=ref.symbol, qty=str(qty),
            filled=str(undone.filled_qty), detail=undone.detail,
        )  # fmt: skip
        status = LegStatus.UNWOUND if undone.filled_qty >= qty else LegStatus.PARTIAL
        return replace(
            leg, status=status, unwound_qty=undone.filled_qty, unwind_price=undone.price, fee=leg.fee + undone.fee,
            detail=undone.detail,
        )  # fmt: skip

    async def on_funding(self, payment: FundingPayment) -> None:
        """Share a funding payment among the spreads that held its instrument when it settled (closed since or not),
        by their quantity then, once per id (the ids counted are stored with the spreads they changed, so a restart
        does not count one again); returns once it is stored, so a bus message of it is acked only then."""
        await self._count_payment(payment)
        await self._stored(payment.funding_id)

    async def _count_payment(self, payment: FundingPayment) -> None:
        if self._already_counted(payment.funding_id, payment.ts_ns):
            return
        key = (payment.exchange, payment.category, payment.symbol)
        async with self._lock:
            holders = self._holders(key, payment.ts_ns)
            amounts = shares(payment.amount, [qty for _, qty in holders]) if holders else []
            self._count_funding(payment, [s for s, _ in holders], amounts)

    async def on_settlement(self, settlement: FundingSettlement) -> None:
        """Simulated mode: each spread open at a perpetual's settlement (closed since or not) gets its own position's
        funding then, computed as the venue charges an account's (``funding_payment``: a long pays a positive rate),
        once per settlement."""
        if self.mode != "simulated":
            return  # real mode counts what the venue charged its own account (``poll_funding``)
        if not self._already_counted(settlement.funding_id, settlement.ts_ns):
            key = (settlement.exchange, settlement.category, settlement.symbol)
            async with self._lock:
                holders = self._holders(key, settlement.ts_ns)
                amounts = [-funding_payment(held(s, *key, qty), settlement.mark, settlement.rate) for s, qty in holders]
                total = sum(amounts, Decimal(0))
                payment = FundingPayment(settlement.funding_id, *key, total, settlement.ts_ns)
                self._count_funding(payment, [s for s, _ in holders], amounts)
        await self._stored(settlement.funding_id)

    async def _stored(self, funding_id: str) -> None:
        """Return once the write of ``funding_id`` is stored: while the database is down the caller waits (its bus
        message stays unacknowledged, so a crash leaves it in the queue; the restarted engine counts it once, from
        the ids stored). A duplicate delivered before its first copy was stored waits the same way."""
        if not any(isinstance(c, FundingWrite) and c.payment.funding_id == funding_id for c in self._pending):
            return
        epoch = self._held.join()  # the write is pending now: the next flush that completes stores it
        await self.flush()
        await self._held.wait(epoch)

    def _already_counted(self, funding_id: str, ts_ns: int) -> bool:
        """True for an id counted before; else it is marked counted (and the newest settlement time kept)."""
        if funding_id in self.stats.funding_seen:
            return True
        self.stats.funding_seen.add(funding_id)
        if self._funding_since_ns is None or ts_ns > self._funding_since_ns:
            self._funding_since_ns = ts_ns
        return False

    def _holders(self, key: LegKey, ts_ns: int) -> list[tuple[Spread, Decimal]]:
        """The spreads, open or closed since, with a leg on ``key`` and a quantity at ``ts_ns``, with that quantity."""
        self._forget_closed()
        out = []
        for s in (*self.spreads.values(), *self.closed.values()):
            if key not in (leg_key(s.pair.long), leg_key(s.pair.short)):
                continue
            # no trade of it known (its requests not reloaded): as held now, since it opened
            history = self._history.get(s.spread_id) or [(s.opened_ns, s.qty)]
            qty = qty_at(history, ts_ns)
            if qty > 0:
                out.append((s, qty))
        return out

    def _count_funding(self, payment: FundingPayment, holders: list[Spread], amounts: list[Decimal]) -> None:
        """Each holder's amount into its funding; the payment and the spreads it changed queued as one write."""
        now = self._clock.now_ns()
        updated = [add_funding(spread, amount, now) for spread, amount in zip(holders, amounts, strict=True)]
        for spread in updated:
            self._keep(spread)
        if updated:
            self.stats.funding_applied += 1
        elif payment.amount:
            log.info("spread.funding_unallocated", funding_id=payment.funding_id, symbol=payment.symbol)
        self._queue(FundingWrite(payment, tuple(updated)))

    async def poll_funding(self) -> int:
        """Real mode: ask each gateway of a linear leg of an open spread, or one closed within ``funding_late_s``,
        for the account's funding since the newest payment counted (or since the oldest spread holding the leg
        opened) and count the new ones; returns how many."""
        self._forget_closed()
        refs: dict[LegKey, InstrumentRef] = {}
        oldest: dict[LegKey, int] = {}
        for spread in (*self.spreads.values(), *self.closed.values()):
            for ref in (spread.pair.long, spread.pair.short):
                if ref.category is Category.LINEAR and (spread.qty or spread.spread_id in self.closed):
                    refs.setdefault(leg_key(ref), ref)
                    oldest[leg_key(ref)] = min(oldest.get(leg_key(ref), spread.opened_ns), spread.opened_ns)
        counted = 0
        for key, ref in refs.items():
            since = max(oldest[key], self._funding_since_ns or 0)
            try:
                gateway = self._gateway(ref)
                if not isinstance(gateway, FundingHistory):
                    raise FundingUnsupported(f"{gateway.name}: no funding history")
                payments = await gateway.fetch_funding(since, ref.symbol)
            except FundingUnsupported as exc:
                if ref.exchange not in self._funding_unsupported:
                    self._funding_unsupported.add(ref.exchange)
                    log.warning("spread.funding_unsupported", exchange=ref.exchange, error=str(exc))
                continue
            except ExchangeError as exc:
                log.warning("spread.funding_poll_failed", exchange=ref.exchange, symbol=ref.symbol, error=str(exc))
                continue
            for payment in payments:
                if payment.funding_id not in self.stats.funding_seen:
                    counted += 1  # the venue names its own gateway; the spreads name the leg's exchange
                    # not waited for: the venue lists it again after a crash, and waiting here would stall ``run``
                    await self._count_payment(replace(payment, exchange=ref.exchange, category=ref.category))
        if counted:
            await self.flush()
        return counted

    def _queue(self, change: SpreadWrite | FundingWrite) -> None:
        self._pending.append(change)

    async def flush(self) -> bool:
        """Write what is buffered, in order; True when nothing is left (False: the database is still down)."""
        async with self._flushing:
            try:
                with self._held.flushing():
                    await self._write_pending()
            except StoreUnavailable as exc:
                self.stats.write_failures += 1
                log.warning("spread.store_unavailable", buffered=len(self._pending), error=str(exc))
                return False
        return True

    async def _write_pending(self) -> None:
        while self._pending:
            change = self._pending[0]
            try:
                if isinstance(change, FundingWrite):
                    await self._repo.write_funding(change)
                else:
                    await self._repo.write(change)
            except StoreUnavailable:
                raise
            except Exception as exc:  # a write the database refuses for good must not block the rest
                self.stats.write_failures += 1
                what = change.payment.funding_id if isinstance(change, FundingWrite) else change.spread.spread_id
                log.error("spread.write_dropped", change=what, error=repr(exc))
            self._pending.pop(0)

    async def book(self, query: SpreadQuery) -> SpreadBook:
        """Open spreads from memory, closed ones from the store (when it answers; the copy in memory of one closed
        lately, whose late funding may not be written yet)."""
        spreads: list[Spread] = sorted(self.spreads.values(), key=lambda s: s.opened_ns, reverse=True)
        if not query.open_only:
            with contextlib.suppress(StoreUnavailable):
                stored = await self._repo.spreads(limit=query.limit)
                spreads += [self.closed.get(s.spread_id, s) for s in stored if s.spread_id not in self.spreads]
        rows = tuple(
            ExposureRow(k[0], k[1], k[2], qty, notional) for k, (qty, notional) in self.exposure.snapshot().items()
        )
        return SpreadBook(self.mode, tuple(spreads[: query.limit]), rows, self.exposure.total(), len(self._pending))


def _changes(pair: Pair, qty: Decimal, long_price: Decimal, short_price: Decimal, *, opening: bool) -> list[LegChange]:
    sign = 1 if opening else -1
    return [
        LegChange(leg_key(pair.long), sign * qty, long_price),
        LegChange(leg_key(pair.short), -sign * qty, short_price),
    ]


def _outcome(empty: LegOutcome, result: OrderResult) -> LegOutcome:
    filled = result.filled_qty
    if filled <= 0:
        status = LegStatus.FAILED
    elif filled < empty.qty:
        status = LegStatus.PARTIAL
    else:
        status = LegStatus.FILLED
    return replace(
        empty, filled_qty=filled, price=result.avg_price, fee=_quote_fee(result, empty.side), status=status,
        detail=result.reject_reason or "",
    )  # fmt: skip


def _quote_fee(result: OrderResult, side: Side) -> Decimal:
    """The fee in quote currency: a spot buy pays it in the base coin, valued at the fill price."""
    if result.fee_currency and result.avg_price is not None and result.fee_currency not in ("USDT", "USDC", "USD"):
        return result.fee * result.avg_price
    return result.fee


def _both_filled(legs: tuple[LegOutcome, ...]) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    """Quantity both legs hold (after any unwind), their prices and the fees, or None when nothing is held."""
    if len(legs) != 2:
        return None
    first, second = legs
    held = min(first.filled_qty - first.unwound_qty, second.filled_qty)
    if held <= 0 or first.price is None or second.price is None:
        return None
    return held, first.price, second.price, first.fee + second.fee


def _failure(legs: tuple[LegOutcome, ...]) -> str:
    if not legs:
        return "no leg traded"
    if len(legs) == 1:
        return f"first leg not filled: {legs[0].detail or legs[0].status.value}"
    return f"second leg failed ({legs[1].detail or legs[1].status.value}); first leg {legs[0].status.value}"
