"""SignalProducer: runs strategy instances on closed candles and publishes their signals on the bus.

At start each instance is warmed up from its exchange's kline history (``ExchangeGateway.fetch_candles``; only
closed candles, gaps filled as the builder would), the candle feed continues after the newest of them, and from
then on every closed candle goes to the strategy. A signal's id depends only on the instance and the candle, so a
producer restarted on the same candles repeats the id instead of inventing another.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog

from tradewind.application.messages.signals import SIGNAL
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.ports.exchange import ExchangeError, ExchangeGateway
from tradewind.application.signals.candles import CandleFeed
from tradewind.application.signals.settings import ProducerSettings
from tradewind.domain.candles import Candle, fill_gaps, interval_ms
from tradewind.domain.signals.signal import Signal
from tradewind.domain.signals.strategy import Strategy, StrategySpec

log = structlog.get_logger(__name__)
_KEPT_SIGNALS = 1000  # the newest signals kept in ``published``


@dataclass(slots=True)
class RunningStrategy:
    """One instance: its spec, its strategy, the candles it has seen (bounded), and where its history comes from."""

    spec: StrategySpec
    strategy: Strategy
    history: deque[Candle]
    history_exchange: str | None
    signals: Counter[str] = field(default_factory=Counter)  # by action
    errors: int = 0


class SignalProducer:
    """Strategy instances over one candle feed; signals published as ``signal.trade.<exchange>.<category>.<symbol>``."""

    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        feed: CandleFeed,
        *,
        strategies: Sequence[tuple[StrategySpec, Strategy, str | None]],
        gateways: Mapping[str, ExchangeGateway],
        settings: ProducerSettings | None = None,
        work_queue: tuple[str, str] | None = None,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._feed = feed
        self._gateways = dict(gateways)
        self._settings = settings or ProducerSettings()
        self._work_queue = work_queue  # (pattern, queue) of the signals' consumer, declared at start
        self._loaded: set[str] = set()  # gateways whose instruments are loaded
        self.running: list[RunningStrategy] = []
        for spec, strategy, history_exchange in strategies:
            keep = max(self._settings.history_candles, strategy.warmup)
            running = RunningStrategy(spec, strategy, deque(maxlen=keep), history_exchange)
            self.running.append(running)
            feed.track(spec.ref, spec.interval, functools.partial(self._on_candle, running))
        self.published: list[Signal] = []  # the newest signals, for the console and tests (bounded)

    @property
    def feed(self) -> CandleFeed:
        return self._feed

    async def start(self) -> None:
        """Declare the trader's queue (so no signal is lost before it first runs), warm every instance up from its
        exchange's history, then follow the live trades."""
        if self._work_queue is not None:
            await self._bus.declare_queue(*self._work_queue)
        if self._settings.warm_up:
            for running in self.running:
                await self._warm_up(running)
        await self._feed.start()

    async def stop(self) -> None:
        await self._feed.stop()

    async def _warm_up(self, running: RunningStrategy) -> None:
        spec = running.spec
        gateway = None if running.history_exchange is None else self._gateways.get(running.history_exchange)
        if gateway is None:
            log.info("producer.cold_start", source=spec.id, reason="no exchange to fetch kline history from")
            return
        try:
            if gateway.name not in self._loaded:  # a ccxt gateway knows a symbol once its markets are loaded
                await gateway.load_instruments()
                self._loaded.add(gateway.name)
        except ExchangeError as exc:
            log.warning("producer.cold_start", source=spec.id, exchange=gateway.name, reason=str(exc))
            return
        limit = running.history.maxlen or 1
        now = self._clock.now_ms()
        start = now - now % interval_ms(spec.interval) - limit * interval_ms(spec.interval)
        try:
            fetched = await gateway.fetch_candles(
                spec.category, spec.symbol, spec.interval, start_ms=start, end_ms=now, limit=limit
            )
        except ExchangeError as exc:
            log.warning("producer.cold_start", source=spec.id, exchange=gateway.name, reason=str(exc))
            return
        closed = fill_gaps([replace(c, ref=spec.ref) for c in fetched if c.end_ms <= now])
        running.history.extend(closed)
        if closed:
            self._feed.seed(spec.ref, spec.interval, closed[-1])
        log.info("producer.warmed_up", source=spec.id, candles=len(closed), needed=running.strategy.warmup)

    async def _on_candle(self, running: RunningStrategy, candle: Candle) -> None:
        if running.history and candle.start_ms < running.history[-1].end_ms:
            return  # already in the history fetched at start
        running.history.append(candle)
        try:
            signal = running.strategy.on_candle(tuple(running.history))
        except Exception:  # a strategy's bug costs its candle, not the producer
            running.errors += 1
            log.exception("producer.strategy_failed", source=running.spec.id, start_ms=candle.start_ms)
            return
        if signal is None:
            return
        if not isinstance(signal, Signal) or signal.source != running.spec.id:
            running.errors += 1
            log.error("producer.bad_signal", source=running.spec.id, signal=repr(signal)[:200])
            return
        await self._bus.publish(signal.topic(), SIGNAL.encode(signal))
        running.signals[signal.action.value] += 1
        self.published.append(signal)
        del self.published[:-_KEPT_SIGNALS]
        log.info(
            "producer.signal", source=signal.source, action=signal.action.value, signal_id=signal.signal_id,
            symbol=signal.symbol, candle_start_ms=signal.candle_start_ms, price=str(signal.price),
        )  # fmt: skip
