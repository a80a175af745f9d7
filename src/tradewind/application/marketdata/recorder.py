"""Records the bus's market data (trades, mids, book snapshots, candles) and, when switched on, order events."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from tradewind.application.held_acks import HeldAcks
from tradewind.application.lifecycle import cancel_and_wait
from tradewind.application.marketdata.settings import RecorderSettings
from tradewind.application.messages.codec import Codec, MalformedPayload
from tradewind.application.messages.market import BOOK, MID, ORDER_EVENT, TRADE
from tradewind.application.messages.registry import CODECS, codec_for
from tradewind.application.messages.signals import CANDLE
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.repositories import MarketDataRepository, OrderRepository
from tradewind.application.ports.spill import SpillStore

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class RecorderStats:
    received: int = 0
    written: int = 0
    malformed: int = 0
    dropped: int = 0
    thinned: int = 0  # book snapshots skipped by ``book_interval_s``
    write_errors: int = 0
    spilled: int = 0


class MarketDataRecorder:
    """Subscribes to market data, buffers decoded events and writes them every N rows or T seconds.

    A malformed payload is counted and logged, never raised. A failed write keeps the rows buffered
    (up to ``max_pending``, oldest dropped beyond) for the next flush; ``stop`` flushes what is left.
    """

    def __init__(
        self,
        bus: Bus,
        repository: MarketDataRepository,
        clock: Clock,
        settings: RecorderSettings | None = None,
        orders: OrderRepository | None = None,
        *,
        spill: SpillStore | None = None,
    ) -> None:
        self._bus = bus
        self._repo = repository
        self._clock = clock
        self._settings = settings or RecorderSettings()
        if self._settings.dump_orders_to_db and orders is None:
            raise ValueError("dump_orders_to_db is on but the recorder was given no order repository")
        if self._settings.spill_path is not None and spill is None:
            raise ValueError("spill_path is set but the recorder was given no spill store")
        self._spill = spill
        # One buffer and one writer per recorded topic kind, keyed by the kind of its codec in the registry.
        self._writers: dict[str, Callable[[Sequence[Any]], Awaitable[None]]] = {
            TRADE.kind: repository.add_trades,
            MID.kind: repository.add_mids,
            BOOK.kind: repository.add_books,
            CANDLE.kind: repository.add_candles,
        }
        if orders is not None:
            self._writers[ORDER_EVENT.kind] = orders.add_orders
        self._buffers: dict[str, deque[Any]] = {kind: deque() for kind in self._writers}
        self._codecs: dict[str, Codec[Any]] = {}  # by topic: the registry looked up once per topic
        self._subscriptions: list[Subscription] = []
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._failing = False  # after a failed write only the timer retries, not every arriving row
        self._ack_after_store = self._settings.ack_after_store and self._settings.queue is not None
        self._held = HeldAcks()
        self._book_interval_ns = round(self._settings.book_interval_s * 1e9)
        self._last_book_ns: dict[str, int] = {}  # topic -> time of the last snapshot kept
        self.stats = RecorderStats()

    @property
    def pending(self) -> int:
        """Rows received but not yet written (in memory; ``spilled`` rows wait in the spill store)."""
        return sum(len(b) for b in self._buffers.values())

    async def start(self) -> None:
        if self._timer is not None:
            return
        # Waiting handlers each hold a message: a batch's worth of them per topic lets a full batch form.
        concurrency = self._settings.batch_size if self._ack_after_store else 1
        topics = [
            f"md.{kind}.#" for kind in self._settings.kinds if kind != "book" or self._settings.dump_orderbook_to_db
        ]
        if self._settings.dump_orders_to_db:
            topics.append(ORDER_EVENT.kind)
        for topic in topics:
            sub = await self._bus.subscribe(
                topic, self._on_message, queue=self._settings.queue, concurrency=concurrency
            )
            self._subscriptions.append(sub)
        self._timer = asyncio.create_task(self._flush_periodically(), name="md-recorder-flush")

    async def stop(self) -> None:
        """Unsubscribe, then write everything still buffered (raises if that final write fails)."""
        if self._ack_after_store:
            await self._flush_quietly()  # releases the waiting handlers, so their messages are acknowledged
        async with self._lock:  # a write in flight completes first: cancelling it would lose its rows
            for sub in self._subscriptions:
                await sub.cancel()
            self._subscriptions.clear()
            await cancel_and_wait(self._timer)
            self._timer = None
        await self.flush()

    async def _on_message(self, message: Message) -> None:
        try:
            codec = self._codecs.get(message.topic) or self._codec(message.topic)
            item = codec.decode(message.payload)
        except MalformedPayload as exc:
            self.stats.malformed += 1
            log.warning("recorder.malformed", topic=message.topic, error=str(exc))
            return
        self.stats.received += 1
        if codec.kind == BOOK.kind and self._book_interval_ns and self._thinned(message.topic, item.ts_ns):
            return
        epoch = self._held.join() if self._ack_after_store else None  # taken with the row: no await between
        buffer = self._buffers[codec.kind]
        buffer.append(item)
        self._trim(buffer)
        if self.pending >= self._settings.batch_size and not self._failing:
            await self._flush_quietly()
        if epoch is not None:
            await self._held.wait(epoch)

    def _thinned(self, topic: str, ts_ns: int) -> bool:
        """True when a snapshot of ``topic`` was kept less than ``book_interval_s`` before this one."""
        last = self._last_book_ns.get(topic)
        if last is not None and ts_ns - last < self._book_interval_ns:
            self.stats.thinned += 1
            return True
        self._last_book_ns[topic] = ts_ns
        return False

    def _codec(self, topic: str) -> Codec[Any]:
        codec = codec_for(topic)
        if codec.kind not in self._buffers:
            raise MalformedPayload(codec.kind, f"no decoder for kind {codec.kind!r}")
        self._codecs[topic] = codec
        return codec

    def _trim(self, buffer: deque[Any]) -> None:
        if self._ack_after_store:
            return  # the broker keeps what is not acknowledged; memory holds at most one batch per topic
        excess = self.pending - self._settings.max_pending
        if excess <= 0:
            return
        oldest = [buffer.popleft() for _ in range(min(excess, len(buffer)))]
        if self._spill is None:
            self.stats.dropped += len(oldest)
            return
        kind = next(k for k, b in self._buffers.items() if b is buffer)
        self._spill.add([(kind, CODECS[kind].encode(item)) for item in oldest])
        self.stats.spilled += len(oldest)

    async def _write_spilled(self) -> int:
        """Write back the spilled rows (oldest first); on failure they stay spilled."""
        if self._spill is None:
            return 0
        claimed = self._spill.claim()
        if not claimed:
            return 0
        rows: dict[str, list[Any]] = {kind: [] for kind in self._buffers}
        for kind, row in claimed:
            rows[kind].append(CODECS[kind].decode(row))
        written = 0
        for kind, items in rows.items():
            if items:
                await self._writers[kind](items)
                written += len(items)
                rows[kind] = []
                self.stats.written += len(items)
                self.stats.spilled -= len(items)
                self._spill.settle([(k, CODECS[k].encode(i)) for k, v in rows.items() for i in v])
        return written

    async def flush(self) -> int:
        """Write every buffered row now; returns how many were written. Raises if the repository fails."""
        async with self._lock:
            with self._held.flushing():
                written = 0
                error: Exception | None = None
                for kind, buffer in self._buffers.items():
                    if buffer:
                        items = list(buffer)
                        buffer.clear()
                        try:
                            written += await self._write(kind, items)
                        except Exception as exc:
                            error = error or exc
                if error is not None:
                    raise error
                written += await self._write_spilled()
            return written

    async def _write(self, kind: str, items: list[Any]) -> int:
        try:
            await self._writers[kind](items)
        except (ValueError, TypeError):
            # One bad row rejected the whole batch (nothing stored): isolate it.
            return await self._write_one_by_one(kind, items)
        except Exception:
            self._requeue(kind, items)
            raise
        self.stats.written += len(items)
        return len(items)

    async def _write_one_by_one(self, kind: str, items: list[Any]) -> int:
        written = 0
        for i, item in enumerate(items):
            try:
                await self._writers[kind]([item])
            except (ValueError, TypeError) as exc:
                self.stats.malformed += 1
                log.warning("recorder.rejected", kind=kind, error=str(exc))
                continue
            except Exception:
                self._requeue(kind, items[i:])
                raise
            written += 1
            self.stats.written += 1
        return written

    def _requeue(self, kind: str, items: list[Any]) -> None:
        self.stats.write_errors += 1
        buffer = self._buffers[kind]
        buffer.extendleft(reversed(items))  # ahead of rows that arrived meanwhile; retried next flush
        self._trim(buffer)

    async def _flush_quietly(self) -> None:
        try:
            await self.flush()
        except Exception as exc:
            if not self._failing:
                log.error("recorder.flush_failed", error=repr(exc), pending=self.pending)
            self._failing = True
        else:
            self._failing = False

    async def _flush_periodically(self) -> None:
        while True:
            await self._clock.sleep(self._settings.flush_interval_s)
            await self._flush_quietly()
