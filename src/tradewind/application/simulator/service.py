"""The market simulator service: runs the trader swarm on a clock and publishes market data on the bus.

Topics (``<ex>`` is ``settings.exchange``): ``md.trade.<ex>.<category>.<symbol>`` for every fill,
``md.mid.<ex>...`` when the mid changed and ``md.book.<ex>...`` (top-N snapshot) when the book
changed, each at most once per step and market. Orders from outside the swarm (the Bybit-protocol
server) go straight into the engines; their reports come back through ``publish_reports``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Sequence

import structlog

from tradewind.application.messages.market import BOOK, MID, TRADE
from tradewind.application.ports.bus import Bus
from tradewind.application.ports.clock import Clock
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.domain.instruments import Instrument
from tradewind.domain.market import InstrumentRef
from tradewind.domain.matching import MatchingEngine, Report
from tradewind.domain.simulation.swarm import Swarm
from tradewind.domain.simulation.tape import MarketTape, TapeEvents
from tradewind.domain.values import Category

log = structlog.get_logger(__name__)

_NS_PER_MS = 1_000_000

# Told of every Report the swarm's operations produced (same shape as the venue's ReportListener).
ReportListener = Callable[[Instrument, Report], None]


class MarketSimulatorService:
    """Steps the swarm every ``step_interval_ms`` of clock time; same seed and clock, same events."""

    def __init__(
        self,
        clock: Clock,
        bus: Bus,
        settings: SimulatorSettings,
        engines: Iterable[MatchingEngine] | None = None,
    ) -> None:
        self._clock, self._bus, self.settings = clock, bus, settings
        given = {e.instrument.key: e for e in engines or ()}
        config = settings.swarm_config([e.instrument for e in given.values()] if given else None)
        for market in config.markets:
            given.setdefault(market.instrument.key, MatchingEngine(market.instrument))
        self._engines = given
        start_ns = clock.now_ns()
        self.swarm = Swarm(config, start_ns, given)
        groups = {m.key: m.group for m in settings.markets}
        self._tapes = {
            key: MarketTape(
                InstrumentRef(
                    settings.exchange, e.instrument.category, e.instrument.symbol, groups.get(key, e.instrument.symbol)
                ),
                e,
                settings.book_depth,
            )
            for key, e in given.items()
        }
        self._interval_ns = settings.step_interval_ms * _NS_PER_MS
        self._next_step_ns = start_ns + self._interval_ns
        self._outbox: deque[TapeEvents] = deque()
        self._publishing = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._listeners: list[ReportListener] = []
        self._failed_listeners: set[int] = set()
        self._running = False
        self._sleeping = False
        self._stop_requested = False
        self._run_task: asyncio.Task[None] | None = None
        self.steps = 0
        self.published = 0

    # --- what the Bybit-protocol server needs -------------------------------------------------------

    def engine(self, category: Category, symbol: str) -> MatchingEngine:
        """The engine of one market; outside orders go straight into it (then call ``publish_reports``)."""
        engine = self._engines.get(f"{category.value}:{symbol}")
        if engine is None:
            raise KeyError(f"no simulated market {category.value}:{symbol}; have {sorted(self._engines)}")
        return engine

    def engines(self) -> list[MatchingEngine]:
        """Every engine of the simulated exchange (also those without a swarm)."""
        return list(self._engines.values())

    def add_report_listener(self, listener: ReportListener) -> Callable[[], None]:
        """Call ``listener`` with every Report of an operation the swarm made, in engine order, after each step.

        The venue uses it to learn of fills of its clients' resting orders. Returns a function that removes it.
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def ref(self, category: Category, symbol: str) -> InstrumentRef:
        self.engine(category, symbol)
        return self._tapes[f"{category.value}:{symbol}"].ref

    @property
    def refs(self) -> list[InstrumentRef]:
        return [tape.ref for tape in self._tapes.values()]

    async def publish_reports(self, category: Category, symbol: str, reports: Sequence[Report]) -> None:
        """Publish the trades, mid and book that outside operations on a market caused, and wait for it.

        The swarm also learns of them: its makers' fills and the flow's price impact.
        """
        self._record(f"{category.value}:{symbol}", reports)
        await self._drain()

    def on_report(self, instrument: Instrument, report: Report) -> None:
        """Synchronous hook for the venue (its ``ReportListener``): record now, publish in the background."""
        try:
            self._record(instrument.key, (report,))
        except KeyError as exc:
            log.error("simulator.unknown_market", market=instrument.key, error=str(exc))
            return
        try:
            task = asyncio.get_running_loop().create_task(self._drain_logged())
        except RuntimeError:
            return  # no loop running: the next step or publish_reports publishes it
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _record(self, key: str, reports: Sequence[Report]) -> None:
        tape = self._tapes.get(key)
        if tape is None:
            raise KeyError(f"no simulated market {key}; have {sorted(self._tapes)}")
        self.swarm.absorb(key, reports)
        self._outbox.append(tape.events(reports, self._clock.now_ns()))

    # --- running ------------------------------------------------------------------------------------

    async def step_until(self, now_ns: int) -> int:
        """Run every step due at or before ``now_ns`` (on the fixed step grid); return how many ran."""
        ran = 0
        while self._next_step_ns <= now_ns:
            step_ns = self._next_step_ns
            self._next_step_ns += self._interval_ns
            await self._step(step_ns)
            ran += 1
        return ran

    async def run(self) -> None:
        """Step on the clock until ``stop()``; far behind (a stalled loop), skip ahead rather than burst."""
        self._running = True
        self._run_task = asyncio.current_task()
        max_lag_ns = self.settings.max_lag_ms * _NS_PER_MS
        while self._running:
            delay_ns = self._next_step_ns - self._clock.now_ns()
            if delay_ns > 0:
                if not await self._sleep(delay_ns / 1e9):
                    return
                continue
            now_ns = self._clock.now_ns()
            if now_ns - self._next_step_ns > max_lag_ns:
                skipped = (now_ns - self._next_step_ns) // self._interval_ns
                log.warning("simulator.behind", skipped_steps=skipped)
                self._next_step_ns += skipped * self._interval_ns
            await self.step_until(now_ns)

    def stop(self) -> None:
        """Make ``run()`` return: at once if it is waiting for the next step, else after the current one."""
        self._running = False
        if self._sleeping and self._run_task is not None:
            self._stop_requested = True
            self._run_task.cancel()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep on the clock; False if ``stop()`` interrupted the sleep."""
        self._sleeping = True
        try:
            await self._clock.sleep(seconds)
        except asyncio.CancelledError:
            task = self._run_task
            if self._stop_requested and task is not None and task.cancelling() == 1:
                task.uncancel()  # our own cancel from stop(): swallow it
                return False
            raise
        finally:
            self._sleeping = False
            self._stop_requested = False
        return True

    async def _step(self, now_ns: int) -> None:
        for step in self.swarm.step(now_ns):
            if self._listeners:
                self._notify(self._engines[step.key].instrument, step.reports)
            self._outbox.append(self._tapes[step.key].events(step.reports, now_ns))
        self.steps += 1
        await self._drain()

    def _notify(self, instrument: Instrument, reports: Sequence[Report]) -> None:
        # A faulty listener must not stop the market: its failures are logged, with the first traceback.
        for listener in list(self._listeners):
            failures: list[Exception] = []
            for report in reports:
                try:
                    listener(instrument, report)
                except Exception as exc:
                    failures.append(exc)
            if failures:
                first = id(listener) not in self._failed_listeners
                self._failed_listeners.add(id(listener))
                log.error(
                    "simulator.listener_failed",
                    market=instrument.key,
                    failures=len(failures),
                    error=repr(failures[0]),
                    exc_info=failures[0] if first else None,
                )

    async def _drain_logged(self) -> None:
        try:
            await self._drain()
        except Exception as exc:
            log.error("simulator.publish_failed", error=repr(exc))

    async def _drain(self) -> None:
        # Events are recorded synchronously, in engine order; one drainer at a time publishes them in that order.
        async with self._publishing:
            bus, outbox = self._bus, self._outbox
            while outbox:
                events = outbox.popleft()
                for trade in events.trades:
                    await bus.publish(trade.ref.topic("trade"), TRADE.encode(trade))
                if events.mid is not None:
                    await bus.publish(events.mid.ref.topic("mid"), MID.encode(events.mid))
                if events.book is not None:
                    await bus.publish(events.book.ref.topic("book"), BOOK.encode(events.book))
                self.published += len(events.trades) + (events.mid is not None) + (events.book is not None)
