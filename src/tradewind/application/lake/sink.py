"""Consumes ``md.<kind>.#`` from a durable queue and writes it to the lake; a message is acknowledged after its file.

Each handler holds its message until the flush that writes its row has returned (the writer stores durably before
it returns), so a crash at any moment leaves every unwritten message in the broker's queue; the writer skips rows
already in the lake, so the redelivered ones are not stored twice. A payload that cannot be decoded, or holds a value
the lake cannot store exactly, is dead-lettered (``PoisonMessage``) and never written.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import structlog

from tradewind.application.held_acks import HeldAcks
from tradewind.application.lifecycle import cancel_and_wait
from tradewind.application.messages.codec import Codec, MalformedPayload
from tradewind.application.messages.registry import codec_for
from tradewind.application.ports.bus import Bus, Message, PoisonMessage, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.lake import LakeWriter

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SinkPolicy:
    """Which kinds (``md.<kind>.#``), the durable queue, and when a file is rolled (rows of a kind, or time)."""

    kinds: tuple[str, ...] = ("trade", "mid")
    queue: str = "lake.md"
    rows_per_file: int = 10_000
    roll_interval_s: float = 300.0
    retry_interval_s: float = 5.0


@dataclass(slots=True)
class SinkStats:
    received: int = 0
    written: int = 0
    duplicates: int = 0  # redelivered rows the lake already had
    dead_lettered: int = 0
    write_errors: int = 0


class LakeSink:
    """Buffers decoded events per topic kind and writes them every ``rows_per_file`` rows or ``roll_interval_s``."""

    def __init__(self, bus: Bus, writer: LakeWriter, clock: Clock, policy: SinkPolicy | None = None) -> None:
        self._bus, self._writer, self._clock = bus, writer, clock
        self._policy = policy or SinkPolicy()
        self._buffers: dict[str, deque[Any]] = {f"md.{kind}": deque() for kind in self._policy.kinds}
        self._codecs: dict[str, Codec[Any]] = {}
        self._subscriptions: list[Subscription] = []
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._held = HeldAcks()
        self._failing = False
        self.stats = SinkStats()

    @property
    def pending(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    async def start(self) -> None:
        if self._timer is not None:
            return
        for kind in self._buffers:
            # Each waiting handler holds one message: a file's worth of them lets a full file form.
            sub = await self._bus.subscribe(
                f"{kind}.#", self._on_message, queue=self._policy.queue, concurrency=self._policy.rows_per_file
            )
            self._subscriptions.append(sub)
        self._timer = asyncio.create_task(self._roll_periodically(), name="lake-roll")

    async def stop(self) -> None:
        """Write what is buffered (its messages are then acknowledged), unsubscribe, and write anything left."""
        await self._flush_quietly()
        async with self._lock:
            for sub in self._subscriptions:
                await sub.cancel()
            self._subscriptions.clear()
            await cancel_and_wait(self._timer)
            self._timer = None
        await self.flush()
        log.info("lake.stopped", written=self.stats.written, duplicates=self.stats.duplicates,
                 dead_lettered=self.stats.dead_lettered, write_errors=self.stats.write_errors)  # fmt: skip

    async def _on_message(self, message: Message) -> None:
        try:
            codec = self._codecs.get(message.topic) or self._codec(message.topic)
            item = codec.decode(message.payload)
            refused = self._writer.refusal(codec.kind, item)
            if refused is not None:
                raise MalformedPayload(codec.kind, refused)
        except PoisonMessage as exc:
            self.stats.dead_lettered += 1
            log.warning("lake.dead_lettered", topic=message.topic, error=str(exc))
            raise
        self.stats.received += 1
        epoch = self._held.join()  # taken with the row: no await between
        buffer = self._buffers[codec.kind]
        buffer.append(item)
        if len(buffer) >= self._policy.rows_per_file and not self._failing:
            await self._flush_quietly()
        await self._held.wait(epoch)

    def _codec(self, topic: str) -> Codec[Any]:
        codec = codec_for(topic)
        if codec.kind not in self._buffers:
            raise MalformedPayload(codec.kind, f"the lake sink does not take {codec.kind!r}")
        self._codecs[topic] = codec
        return codec

    async def flush(self) -> int:
        """Write every buffered row now; returns the rows newly stored. Raises if the lake fails (rows kept)."""
        async with self._lock:
            with self._held.flushing():
                written = 0
                for kind, buffer in self._buffers.items():
                    if not buffer:
                        continue
                    items = list(buffer)
                    buffer.clear()
                    try:
                        stored = await self._writer.write(kind, items)
                    except BaseException:
                        buffer.extendleft(reversed(items))  # ahead of rows that arrived meanwhile
                        self.stats.write_errors += 1
                        raise
                    written += stored
                    self.stats.written += stored
                    self.stats.duplicates += len(items) - stored
            return written

    async def _flush_quietly(self) -> None:
        try:
            await self.flush()
        except Exception as exc:
            if not self._failing:
                log.error("lake.write_failed", error=repr(exc), pending=self.pending)
            self._failing = True
        else:
            self._failing = False

    async def _roll_periodically(self) -> None:
        """Rolls every ``roll_interval_s``; after a failed write, retries every ``retry_interval_s`` meanwhile."""
        step = min(self._policy.retry_interval_s, self._policy.roll_interval_s)
        next_roll = self._clock.now_ns() + int(self._policy.roll_interval_s * 1e9)
        while True:
            await self._clock.sleep(step)
            if self._failing or self._clock.now_ns() >= next_roll:
                next_roll = self._clock.now_ns() + int(self._policy.roll_interval_s * 1e9)
                await self._flush_quietly()
