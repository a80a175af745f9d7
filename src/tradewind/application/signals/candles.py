"""CandleFeed: candles of the tracked markets built from ``md.trade``, closed on the clock, told to listeners.

A candle closes ``close_delay_s`` after its end (trades still on their way join it; later ones are dropped and
counted, see ``domain/candles.py``). Closed candles are published as ``md.candle.<exchange>.<category>.<symbol>.
<interval>`` (when ``publish``, unless another process's feed publishes that interval of every market) and handed
to each listener of their market and interval, oldest first. ``track_every`` follows every market whose trades reach
the bus, from its first trade on (the dashboard's chart candles of whatever the system streams), until it has not
traded for ``IDLE_MINUTES``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import structlog

from tradewind.application.lifecycle import cancel_and_wait
from tradewind.application.messages.codec import MalformedPayload
from tradewind.application.messages.market import TRADE
from tradewind.application.messages.signals import CANDLE
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.clock import Clock
from tradewind.domain.candles import MINUTE_MS, Candle, CandleBuilder, check_interval
from tradewind.domain.market import InstrumentRef

log = structlog.get_logger(__name__)

CandleListener = Callable[[Candle], Awaitable[None]]
Key = tuple[str, str, str]  # exchange, category, symbol: how a trade names its market (matching_key aside)


def _key(ref: InstrumentRef) -> Key:
    return ref.exchange, ref.category.value, ref.symbol


@dataclass(slots=True)
class FeedStats:
    trades: int = 0
    malformed: int = 0
    candles: int = 0
    listener_errors: int = 0


# A market followed for the chart alone (``track_every``) leaves the feed after this long without a trade, instead of
# a flat candle a minute for ever once unsubscribed; its next trade brings it back.
IDLE_MINUTES = 60


@dataclass(slots=True)
class _Tracked:
    builder: CandleBuilder
    listeners: list[CandleListener] = field(default_factory=list)
    followed: bool = False  # added by ``track_every``, not asked for by anyone
    idle: int = 0  # candles in a row without a trade


class CandleFeed:
    """Candles of every tracked (market, interval), from the bus's trades and the clock."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        *,
        close_delay_s: float = 1.0,
        publish: bool = True,
        published_elsewhere: Iterable[int] = (),
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._delay_ms = round(close_delay_s * 1000)
        self._publish = publish
        # intervals another process's feed publishes for every market: built here for the listeners, never sent twice
        self._elsewhere = frozenset(published_elsewhere)
        self._tracked: dict[Key, dict[int, _Tracked]] = {}
        self._every: int | None = None  # the interval every market seen trading gets (``track_every``)
        self._subscriptions: list[Subscription] = []
        self._timer: asyncio.Task[None] | None = None
        self.stats = FeedStats()

    def track(self, ref: InstrumentRef, interval: int, listener: CandleListener | None = None) -> None:
        """Build ``interval``-minute candles of ``ref`` (once per pair); ``listener`` gets each closed one."""
        by_interval = self._tracked.setdefault(_key(ref), {})
        tracked = by_interval.get(interval)
        if tracked is None:
            tracked = by_interval[interval] = _Tracked(CandleBuilder(ref, interval))
        if listener is not None:
            tracked.listeners.append(listener)

    def track_every(self, interval: int) -> None:
        """Build ``interval``-minute candles of every market whose trades reach the bus, from its first trade."""
        check_interval(interval)
        self._every = interval

    def seed(self, ref: InstrumentRef, interval: int, last: Candle) -> None:
        """Continue the candles of ``ref`` after ``last`` (the newest of the history fetched at start)."""
        self._tracked[_key(ref)][interval].builder.seed(last)

    @property
    def late_trades(self) -> int:
        return sum(t.builder.late for by in self._tracked.values() for t in by.values())

    async def start(self) -> None:
        if self._timer is not None:
            return
        # Following every market: one subscription, as a market's own topic beside it would bring its trades twice.
        if self._every is not None:
            topics = [f"{TRADE.kind}.#"]
        else:
            topics = [f"{TRADE.kind}.{exchange}.{category}.{symbol}" for exchange, category, symbol in self._tracked]
        for topic in topics:
            self._subscriptions.append(await self._bus.subscribe(topic, self._on_trade))
        self._timer = asyncio.create_task(self._close_on_the_clock(), name="candle-feed")

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()
        await cancel_and_wait(self._timer)
        self._timer = None

    async def _on_trade(self, message: Message) -> None:
        try:
            trade = TRADE.decode(message.payload)
        except MalformedPayload as exc:
            self.stats.malformed += 1
            log.warning("candles.malformed_trade", topic=message.topic, error=str(exc))
            return
        self.stats.trades += 1
        if self._every is not None and self._every not in self._tracked.get(_key(trade.ref), {}):
            self.track(trade.ref, self._every)
            self._tracked[_key(trade.ref)][self._every].followed = True
        for tracked in self._tracked.get(_key(trade.ref), {}).values():
            if trade.ref.matching_key and not tracked.builder.ref.matching_key:
                tracked.builder.ref = trade.ref  # candles carry the market's matching_key, as every md event does
            tracked.builder.add(trade)

    async def close_due(self) -> int:
        """Close every candle whose end is at least ``close_delay_s`` past; returns how many closed."""
        cutoff = self._clock.now_ms() - self._delay_ms
        closed = 0
        quiet: list[tuple[Key, int]] = []
        # Over copies: a market's first trade may add it while a listener is awaited.
        for key, by_interval in list(self._tracked.items()):
            for interval, tracked in list(by_interval.items()):
                for candle in tracked.builder.close_until(cutoff):
                    closed += 1
                    tracked.idle = 0 if candle.trades else tracked.idle + 1
                    await self._emit(candle, tracked.listeners)
                if tracked.followed and not tracked.listeners and tracked.idle * interval >= IDLE_MINUTES:
                    quiet.append((key, interval))
        for key, interval in quiet:
            del self._tracked[key][interval]
            if not self._tracked[key]:
                del self._tracked[key]
        return closed

    async def _emit(self, candle: Candle, listeners: list[CandleListener]) -> None:
        self.stats.candles += 1
        if self._publish and candle.interval not in self._elsewhere:
            await self._bus.publish(candle.topic(), CANDLE.encode(candle))
        for listener in listeners:
            try:
                await listener(candle)
            except Exception:  # one listener's bug must not stop the candles of the others
                self.stats.listener_errors += 1
                log.exception("candles.listener_failed", topic=candle.topic(), start_ms=candle.start_ms)

    async def _close_on_the_clock(self) -> None:
        """Wakes once a minute, ``close_delay_s`` after the minute: every interval ends on a minute."""
        while True:
            now = self._clock.now_ms()
            due = now - (now - self._delay_ms) % MINUTE_MS + MINUTE_MS  # the next minute mark plus the delay
            while now < due:  # a wall clock's timer may fire a little early
                await self._clock.sleep((due - now) / 1000)
                now = self._clock.now_ms()
            await self.close_due()
