"""SignalEngine: keeps the books of each matching group from ``md.book`` and sends spread orders.

Only books younger than ``max_book_age_ms`` are used (a stale one is skipped and counted). A spread's state changes
only on an ACK; a request that times out is UNKNOWN and is sent again with the same request id until the trading
engine says what became of it (a repeated id is answered with the first verdict), never taken as a NACK.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import structlog

from tradewind.application.messages.codec import MalformedPayload
from tradewind.application.messages.market import BOOK
from tradewind.application.ports.bus import Bus, BusError, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.metrics import Metrics
from tradewind.application.spread.settings import SpreadSettings
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.spread.churn import ChurnGuard
from tradewind.domain.spread.groups import MatchingGroups, Pair
from tradewind.domain.spread.opportunity import Clip, closing_clips, entry_bps, exit_bps, opening_clips
from tradewind.domain.spread.orders import LegOutcome, SpreadAction, SpreadOrder, SpreadReply
from tradewind.domain.spread.position import Spread, add_entry, add_exit, opening

log = structlog.get_logger(__name__)

Send = Callable[[SpreadOrder], Awaitable[SpreadReply]]
InstrumentOf = Callable[[InstrumentRef], Instrument | None]


@dataclass(slots=True)
class SignalStats:
    books: int = 0
    stale_skips: int = 0  # evaluations skipped because a leg's book was too old
    requests: int = 0
    acks: int = 0
    nacks: int = 0
    unknown: int = 0  # timeouts (and lost replies), reconciled by sending again


@dataclass(slots=True)
class _Book:
    snapshot: BookSnapshot
    received_ns: int


@dataclass(frozen=True, slots=True)
class GroupSpread:
    """The live view of one direction: what opening and closing would earn or cost now, in bps."""

    pair: Pair
    entry_bps: Decimal
    exit_bps: Decimal
    stale: bool


class SignalEngine:
    def __init__(
        self,
        clock: Clock,
        settings: SpreadSettings,
        instrument_of: InstrumentOf,
        send: Send,
        *,
        bus: Bus | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics  # stale books are counted there (``tradewind_spread_stale_books``) when given
        self._clock = clock
        self._settings = settings
        self._instrument_of = instrument_of
        self._send = send
        self._bus = bus
        self._books: dict[InstrumentRef, _Book] = {}
        self.groups = MatchingGroups()
        self.spreads: dict[str, Spread] = {}  # by pair key, as acknowledged
        self._unknown: dict[str, tuple[SpreadOrder, int]] = {}  # pair key -> order sent, attempts
        self._busy: dict[str, asyncio.Task[None]] = {}
        self._churn = ChurnGuard(settings.churn())
        self._fees = settings.fees
        self._thresholds = settings.thresholds()
        self._subscription: Subscription | None = None
        self.stats = SignalStats()

    async def start(self, open_spreads: list[Spread] | None = None) -> None:
        """Take over the spreads the trading engine holds, then follow ``md.book``."""
        for spread in open_spreads or []:
            self.spreads[spread.pair.key] = spread
        if self._bus is not None:
            self._subscription = await self._bus.subscribe("md.book.#", self._on_message)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.cancel()
            self._subscription = None
        for task in list(self._busy.values()):
            task.cancel()
        await asyncio.gather(*self._busy.values(), return_exceptions=True)

    async def settle(self) -> None:
        """Wait until no pair has a request in flight (tests, shutdown)."""
        while self._busy:
            await asyncio.gather(*list(self._busy.values()), return_exceptions=True)

    async def _on_message(self, message: Message) -> None:
        try:
            snapshot = BOOK.decode(message.payload)
        except MalformedPayload:
            raise  # dead-lettered: a broken book is never guessed at
        self.on_book(snapshot)

    def wanted(self, ref: InstrumentRef) -> bool:
        keys = self._settings.matching_keys
        return bool(ref.matching_key) and (not keys or ref.matching_key in keys)

    def on_book(self, snapshot: BookSnapshot) -> None:
        """Keep the book and evaluate its group (each direction in its own task, one request at a time)."""
        ref = snapshot.ref
        if not self.wanted(ref):
            return
        now = self._clock.now_ns()
        self.stats.books += 1
        self._books[ref] = _Book(snapshot, now)
        self.groups.add(ref)
        self._forget_silent(now)
        for pair in self.groups.pairs(ref.matching_key):
            if pair.key not in self._busy:
                task = asyncio.create_task(self._act(pair), name=f"spread {pair.key}")
                self._busy[pair.key] = task
                task.add_done_callback(self._done(pair.key))

    def _done(self, key: str) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._busy.pop(key, None)

        return forget

    def remove(self, ref: InstrumentRef) -> None:
        """An instrument unsubscribed: its book and group membership go (a spread it holds stays to be closed)."""
        self._books.pop(ref, None)
        self.groups.remove(ref)

    def _forget_silent(self, now: int) -> None:
        limit = int(self._settings.forget_after_s * 1e9)
        for ref in [r for r, b in self._books.items() if now - b.received_ns > limit]:
            log.info("spread.book_forgotten", symbol=ref.symbol, category=ref.category.value)
            self.remove(ref)

    def _fresh(self, ref: InstrumentRef, now: int) -> BookSnapshot | None:
        book = self._books.get(ref)
        if book is None or now - book.received_ns > self._settings.max_book_age_ms * 1_000_000:
            return None
        return book.snapshot

    def _stale(self, ref: InstrumentRef) -> None:
        self.stats.stale_skips += 1
        if self._metrics is not None:
            self._metrics.count_stale_book(ref.exchange, ref.category.value, ref.symbol)

    def view(self) -> list[GroupSpread]:
        """Each direction's entry and exit spread now (for the live view)."""
        now = self._clock.now_ns()
        out = []
        for key in self.groups.names():
            for pair in self.groups.pairs(key):
                a, b = self._books.get(pair.long), self._books.get(pair.short)
                if a is None or b is None or not a.snapshot.asks or not b.snapshot.bids or not a.snapshot.bids:
                    continue
                if not b.snapshot.asks:
                    continue
                stale = self._fresh(pair.long, now) is None or self._fresh(pair.short, now) is None
                entry = entry_bps(a.snapshot.asks[0][0], b.snapshot.bids[0][0])
                leave = exit_bps(a.snapshot.bids[0][0], b.snapshot.asks[0][0])
                out.append(GroupSpread(pair, entry, leave, stale))
        return out

    async def _act(self, pair: Pair) -> None:
        try:
            now = self._clock.now_ns()
            if pair.key in self._unknown:
                await self._reconcile(pair)
                return
            long_book, short_book = self._fresh(pair.long, now), self._fresh(pair.short, now)
            if long_book is None or short_book is None:
                self._stale(pair.long if long_book is None else pair.short)
                return
            long, short = self._instrument_of(pair.long), self._instrument_of(pair.short)
            if long is None or short is None:
                return
            reverse = Pair(pair.short, pair.long).key
            if reverse in self.spreads or reverse in self._unknown:
                return  # the other direction holds a spread: closing it is that direction's job
            spread = self.spreads.get(pair.key)
            if spread is not None and spread.qty > 0 and self._churn.may_close(spread.opened_ns, now):
                clips = closing_clips(
                    long_book.bids,
                    short_book.asks,
                    self._fees(pair.long.category, pair.short.category),
                    self._thresholds,
                    open_qty=spread.qty,
                    long_entry=spread.long_entry,
                    short_entry=spread.short_entry,
                    long=long,
                    short=short,
                )
                if clips:
                    await self._trade(pair, SpreadAction.CLOSE, clips)
                    return
            room = self._settings.max_spread_qty - (spread.qty if spread is not None else Decimal(0))
            if room <= 0:
                return
            if spread is None and not self._churn.may_open(pair.key, now):
                return
            clips = opening_clips(
                long_book.asks,
                short_book.bids,
                self._fees(pair.long.category, pair.short.category),
                self._thresholds,
                long=long,
                short=short,
                max_qty=room,
            )
            if clips:
                await self._trade(pair, SpreadAction.OPEN, clips)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one pair's failure must not stop the engine
            log.error("spread.evaluation_failed", pair=pair.key, error=repr(exc))

    async def _trade(self, pair: Pair, action: SpreadAction, clips: list[Clip]) -> None:
        """Send the clips one by one, the next only after an ACK of the one before (walking the levels)."""
        for clip in clips:
            spread = self.spreads.get(pair.key)
            spread_id = spread.spread_id if spread is not None else f"sp-{uuid.uuid4().hex[:20]}"
            order = SpreadOrder(
                uuid.uuid4().hex[:24],
                spread_id,
                action,
                pair,
                clip.qty,
                clip.long_price,
                clip.short_price,
                self._clock.now_ns(),
            )
            if not await self._request(pair, order):
                return
            spread = self.spreads.get(pair.key)
            if spread is None:
                return  # closed in full

    async def _request(self, pair: Pair, order: SpreadOrder) -> bool:
        """Send one order; True on ACK. A timeout leaves it UNKNOWN, to be reconciled."""
        self.stats.requests += 1
        try:
            reply = await self._send(order)
        except (BusError, MalformedPayload, TimeoutError) as exc:
            self.stats.unknown += 1
            self._unknown[pair.key] = (order, 1)
            log.warning("spread.request_unknown", request_id=order.request_id, pair=pair.key, error=str(exc))
            return False
        return self._apply(pair, order, reply)

    async def _reconcile(self, pair: Pair) -> None:
        order, attempts = self._unknown[pair.key]
        try:
            reply = await self._send(order)
        except (BusError, MalformedPayload, TimeoutError) as exc:
            self._unknown[pair.key] = (order, attempts + 1)
            log.warning("spread.still_unknown", request_id=order.request_id, attempts=attempts + 1, error=str(exc))
            return
        del self._unknown[pair.key]
        self._apply(pair, order, reply)

    def _apply(self, pair: Pair, order: SpreadOrder, reply: SpreadReply) -> bool:
        if not reply.acked:
            self.stats.nacks += 1
            log.info("spread.nacked", request_id=order.request_id, reason=reply.reason)
            return False
        self.stats.acks += 1
        now = self._clock.now_ns()
        qty, long_price, short_price, fee = _fills(order, reply.legs)
        spread = self.spreads.get(pair.key)
        if order.action is SpreadAction.OPEN:
            if spread is None:
                spread = opening(order.spread_id, pair, now)
                self._churn.record_open(pair.key, now)
            self.spreads[pair.key] = add_entry(spread, qty, long_price, short_price, fee=fee, now_ns=now)
        elif spread is not None:
            updated = add_exit(spread, min(qty, spread.qty), long_price, short_price, fee=fee, now_ns=now)
            if updated.qty:
                self.spreads[pair.key] = updated
            else:
                del self.spreads[pair.key]
                log.info("spread.closed", spread_id=updated.spread_id, pnl=str(updated.net_realised))
        return True


def _fills(order: SpreadOrder, legs: tuple[LegOutcome, ...]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Held quantity, each leg's price and the fees of an ACK; the order's own numbers when legs are absent."""
    if len(legs) != 2 or legs[0].price is None or legs[1].price is None:
        return order.qty, order.long_price, order.short_price, Decimal(0)
    first, second = legs
    qty = min(first.filled_qty - first.unwound_qty, second.filled_qty)
    return qty, legs[0].price or order.long_price, legs[1].price or order.short_price, first.fee + second.fee
