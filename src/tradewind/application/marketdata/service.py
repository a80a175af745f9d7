"""MarketDataService: run-time subscriptions, a local book each, md.book / md.trade / md.mid on the bus.

A gap in the sequence, a disconnect or any stream error drops the book and resubscribes after a backoff
with jitter; the venue's fresh snapshot resynchronises it. Each resync is counted (``resyncs`` in the status,
and ``Metrics.count_resync`` when the process has metrics). A book silent for ``stale_after_s`` is stale.
Given a ``SubscriptionRepository``, subscriptions made at run time are saved and resumed by ``start``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace

import structlog

from tradewind.application.lifecycle import cancel_and_wait
from tradewind.application.marketdata.book import LocalBook, SequenceGap
from tradewind.application.marketdata.settings import MarketDataSettings
from tradewind.application.messages.market import BOOK, MID, TRADE
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.market_data import BookUpdate, MarketStream, SubscriptionStatus
from tradewind.application.ports.metrics import Metrics
from tradewind.application.ports.repositories import StoredSubscription, SubscriptionRepository
from tradewind.domain.market import BookSnapshot, InstrumentRef, MidPrice

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _Subscription:
    ref: InstrumentRef
    depth: int
    book: LocalBook
    task: asyncio.Task[None] | None = None
    updates: int = 0
    resyncs: int = 0
    last_ns: int = 0


class UnknownSubscription(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class MarketDataService:
    """The ``MarketData`` port: one task per subscription reads its venue stream into a local book."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        streams: Mapping[str, MarketStream],
        settings: MarketDataSettings | None = None,
        *,
        store: SubscriptionRepository | None = None,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._bus = bus
        self._store = store
        self._clock = clock
        self._streams = dict(streams)
        self._settings = settings or MarketDataSettings()
        self._rng = rng or random.Random()
        self._subs: dict[InstrumentRef, _Subscription] = {}
        self._metrics = metrics  # resyncs are counted there (``tradewind_md_resyncs_total``) when given

    @property
    def exchanges(self) -> list[str]:
        return sorted(self._streams)

    async def start(self) -> None:
        """Subscribe the configured markets, then resume those saved at run time (an unknown exchange is skipped)."""
        for ref in self._settings.subscriptions:
            await self.subscribe(ref, persist=False)
        for saved in await self._store.stored_subscriptions() if self._store is not None else []:
            if saved.ref.exchange not in self._streams:
                log.warning("marketdata.saved_subscription_skipped", topic=saved.ref.topic("book"), reason="no stream")
                continue
            await self.subscribe(saved.ref, saved.depth, persist=False)
            log.info("marketdata.resumed", topic=saved.ref.topic("book"), matching_key=saved.ref.matching_key)

    async def subscribe(
        self, ref: InstrumentRef, depth: int | None = None, *, persist: bool = True
    ) -> SubscriptionStatus:
        """Start streaming ``ref`` (saved, so a restart resumes it); an already subscribed market returns its status."""
        stream = self._streams.get(ref.exchange)
        if stream is None:
            raise ValueError(f"no market-data stream for exchange {ref.exchange!r}; have {self.exchanges}")
        depth = depth or self._settings.depth
        if not 1 <= depth <= 1000:
            raise ValueError(f"depth must be 1..1000, got {depth}")
        sub = self._subs.get(ref)
        if sub is None:
            if persist and self._store is not None:  # saved first: a subscription that would not survive is not made
                await self._store.save_subscription(StoredSubscription(ref, depth))
            sub = _Subscription(ref, depth, LocalBook(ref, contiguous_u=stream.contiguous_u))
            sub.last_ns = self._clock.now_ns()
            sub.task = asyncio.create_task(self._run(sub, stream), name=f"md-{ref.topic('book')}")
            self._subs[ref] = sub
            log.info("marketdata.subscribed", topic=ref.topic("book"), matching_key=ref.matching_key, depth=depth)
        return self._status(sub)

    async def unsubscribe(self, ref: InstrumentRef) -> None:
        if ref not in self._subs:
            raise UnknownSubscription(f"not subscribed: {ref.exchange} {ref.category.value} {ref.symbol}")
        if self._store is not None:
            await self._store.delete_subscription(ref)
        sub = self._subs.pop(ref)
        await cancel_and_wait(sub.task)
        log.info("marketdata.unsubscribed", topic=ref.topic("book"), matching_key=ref.matching_key)

    def subscriptions(self) -> list[SubscriptionStatus]:
        return [self._status(s) for s in self._subs.values()]

    async def refresh(self) -> list[SubscriptionStatus]:
        return self.subscriptions()  # this process is the collector: its list is live

    def book(self, ref: InstrumentRef) -> BookSnapshot | None:
        sub = self._subs.get(ref)
        if sub is None or not sub.book.synced:
            return None
        return sub.book.snapshot(sub.depth)

    async def fetch_book(self, ref: InstrumentRef) -> BookSnapshot | None:
        return self.book(ref)  # this process is the collector

    async def close(self) -> None:
        subs, self._subs = list(self._subs.values()), {}
        for sub in subs:
            await cancel_and_wait(sub.task)

    def _status(self, sub: _Subscription) -> SubscriptionStatus:
        silent_s = (self._clock.now_ns() - sub.last_ns) / 1e9
        stale = not sub.book.synced or silent_s > self._settings.stale_after_s
        return SubscriptionStatus(sub.ref, sub.depth, sub.book.synced, stale, sub.updates, sub.resyncs, sub.book.seq)

    async def _run(self, sub: _Subscription, stream: MarketStream) -> None:
        failures = 0
        while True:
            try:
                async for event in stream.stream(sub.ref, sub.depth):
                    sub.last_ns = self._clock.now_ns()
                    if isinstance(event, BookUpdate):
                        sub.book.apply(event)
                        failures = 0
                        sub.updates += 1
                        await self._publish_book(sub)
                    else:
                        await self._bus.publish(sub.ref.topic("trade"), TRADE.encode(replace(event, ref=sub.ref)))
                raise ConnectionError("stream ended")
            except asyncio.CancelledError:
                raise
            except (SequenceGap, ConnectionError, OSError, TimeoutError, ValueError) as exc:
                sub.book.synced = False
                sub.resyncs += 1
                if self._metrics is not None:
                    self._metrics.count_resync(sub.ref.exchange, sub.ref.category.value, sub.ref.symbol)
                delay = min(self._settings.reconnect_max_s, self._settings.reconnect_min_s * 2**failures)
                failures += 1
                log.warning("marketdata.resync", topic=sub.ref.topic("book"), reason=str(exc), attempt=failures)
                await self._clock.sleep(delay * (0.5 + self._rng.random()))

    async def _publish_book(self, sub: _Subscription) -> None:
        snap = sub.book.snapshot(sub.depth)
        await self._bus.publish(sub.ref.topic("book"), BOOK.encode(snap))
        if self._settings.publish_mid and snap.bids and snap.asks:
            bid, ask = snap.bids[0][0], snap.asks[0][0]
            mid = MidPrice(sub.ref, (bid + ask) / 2, bid, ask, snap.ts_ns)
            await self._bus.publish(sub.ref.topic("mid"), MID.encode(mid))
